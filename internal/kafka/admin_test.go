package kafka

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/twmb/franz-go/pkg/kfake"
)

func partitionCount(t *testing.T, cfg Config, topic string) int {
	t.Helper()
	client, release, err := connect(testCtx(t, 30*time.Second), cfg)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer release()
	parts, err := client.Partitions(topic)
	if err != nil {
		t.Fatalf("partitions of %s: %v", topic, err)
	}
	return len(parts)
}

func TestEnsureTopicsCreatesMissingOnlyAndIsIdempotent(t *testing.T) {
	_, cfg := mustCluster(t, kfake.SeedTopics(2, "seeded"))
	ctx := testCtx(t, time.Minute)
	topics := []string{"seeded", "pizza", "pizza-with-sauce"}
	for range 2 {
		if err := EnsureTopics(ctx, cfg, topics); err != nil {
			t.Fatalf("EnsureTopics: %v", err)
		}
	}
	for topic, want := range map[string]int{"seeded": 2, "pizza": 3, "pizza-with-sauce": 3} {
		if got := partitionCount(t, cfg, topic); got != want {
			t.Errorf("%s has %d partitions, want %d", topic, got, want)
		}
	}
	// Publishing right after creation works: no auto-creation is involved.
	if err := mustPublisher(t, cfg).Publish("pizza", event("e1", "o1")); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	if err := mustPublisher(t, cfg).Publish("never-created", event("e2", "o1")); err == nil {
		t.Error("publishing to a topic nobody created succeeded; topics must not be auto-created")
	}
}

func TestCountLagAndReadAll(t *testing.T) {
	_, cfg := mustCluster(t)
	ctx := testCtx(t, time.Minute)
	consumed, idle := newTopic(t, ctx, cfg), newTopic(t, ctx, cfg)
	pub := mustPublisher(t, cfg)
	for i := range 10 {
		order := fmt.Sprintf("o%d", i%4)
		if err := pub.Publish(consumed, event(fmt.Sprintf("c%d", i), order)); err != nil {
			t.Fatal(err)
		}
		if i < 4 {
			if err := pub.Publish(idle, event(fmt.Sprintf("i%d", i), order)); err != nil {
				t.Fatal(err)
			}
		}
	}

	if n, err := Count(ctx, cfg, consumed); err != nil || n != 10 {
		t.Errorf("Count = %d, %v; want 10", n, err)
	}
	if lag, err := Lag(ctx, cfg, "reader", []string{consumed, idle}); err != nil || lag != 14 {
		t.Errorf("Lag of a new group = %d, %v; want 14", lag, err)
	}

	_, ch := mustSubscribe(t, cfg, "reader", consumed)
	receive(t, ch, 10, 30*time.Second)
	waitLag(t, ctx, cfg, "reader", consumed, 0)
	if lag, err := Lag(ctx, cfg, "reader", []string{consumed, idle}); err != nil || lag != 4 {
		t.Errorf("Lag after consuming one topic = %d, %v; want 4", lag, err)
	}

	// ReadAll sees exactly the records present when it starts, in order per
	// partition, even while the topic grows.
	var got []*message.Message
	err := ReadAll(ctx, cfg, consumed, func(msg *message.Message) error {
		got = append(got, msg)
		return pub.Publish(consumed, event("late-"+msg.UUID, "o9"))
	})
	if err != nil {
		t.Fatalf("ReadAll: %v", err)
	}
	if len(got) != 10 {
		t.Fatalf("ReadAll delivered %d messages, want 10", len(got))
	}
	lastOffset := map[int32]int64{}
	seen := map[string]bool{}
	for _, msg := range got {
		p := partitionOf(t, msg)
		off, err := strconv.ParseInt(msg.Metadata.Get(DefaultOffsetMetadata), 10, 64)
		if err != nil {
			t.Fatalf("received_offset: %v", err)
		}
		if prev, ok := lastOffset[p]; ok && off <= prev {
			t.Errorf("partition %d: offset %d after %d", p, off, prev)
		}
		lastOffset[p] = off
		seen[msg.UUID] = true
	}
	for i := range 10 {
		if !seen[fmt.Sprintf("c%d", i)] {
			t.Errorf("ReadAll missed c%d", i)
		}
	}
	if n, err := Count(ctx, cfg, consumed); err != nil || n != 20 {
		t.Errorf("Count after ReadAll = %d, %v; want 20", n, err)
	}

	stop := errors.New("stop here")
	calls := 0
	err = ReadAll(ctx, cfg, consumed, func(*message.Message) error { calls++; return stop })
	if !errors.Is(err, stop) || calls != 1 {
		t.Errorf("ReadAll with failing fn = %v after %d calls; want %v after 1", err, calls, stop)
	}
}

func TestOperationsReportUnknownTopicAndHonourContext(t *testing.T) {
	_, cfg := mustCluster(t)
	ctx := testCtx(t, 30*time.Second)
	if _, err := Count(ctx, cfg, "missing"); !errors.Is(err, sarama.ErrUnknownTopicOrPartition) {
		t.Errorf("Count of a missing topic: %v, want %v", err, sarama.ErrUnknownTopicOrPartition)
	}
	done, cancel := context.WithCancel(ctx)
	cancel()
	if err := Ping(done, cfg); !errors.Is(err, context.Canceled) {
		t.Errorf("Ping with a cancelled context: %v", err)
	}
	if err := Ping(ctx, cfg); err != nil {
		t.Errorf("Ping: %v", err)
	}
}

func TestEnsureTopicsSetsTheRetention(t *testing.T) {
	_, cfg := mustCluster(t)
	ctx := testCtx(t, time.Minute)
	if err := EnsureTopics(ctx, cfg, []string{"kept"}); err != nil {
		t.Fatal(err)
	}
	week := cfg
	week.Retention = 7 * 24 * time.Hour
	if err := EnsureTopics(ctx, week, []string{"expiring"}); err != nil {
		t.Fatal(err)
	}
	client, release, err := connect(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	admin, err := sarama.NewClusterAdminFromClient(client)
	if err != nil {
		t.Fatal(err)
	}
	for topic, want := range map[string]string{"kept": "-1", "expiring": "604800000"} {
		entries, err := admin.DescribeConfig(sarama.ConfigResource{Type: sarama.TopicResource, Name: topic, ConfigNames: []string{"retention.ms"}})
		if err != nil {
			t.Fatalf("describe %s: %v", topic, err)
		}
		got := "(absent)"
		for _, e := range entries {
			if e.Name == "retention.ms" {
				got = e.Value
			}
		}
		if got != want {
			t.Errorf("%s: retention.ms %s, want %s", topic, got, want)
		}
	}
}

func TestIdentityNamesTheClusterAndItsEnds(t *testing.T) {
	_, cfg := mustCluster(t, kfake.ClusterID("kitchen-a"))
	ctx := testCtx(t, time.Minute)
	topic := newTopic(t, ctx, cfg)
	pub := mustPublisher(t, cfg)
	for i := range 5 {
		if err := pub.Publish(topic, event(fmt.Sprint("e", i), fmt.Sprint("o", i))); err != nil {
			t.Fatal(err)
		}
	}
	id, ends, err := Identity(ctx, cfg, []string{topic})
	if err != nil || id != "kitchen-a" {
		t.Fatalf("identity %q, %v; want the cluster's id", id, err)
	}
	var sum uint64
	for _, end := range ends[topic] {
		sum += end
	}
	if len(ends[topic]) != partitionCount(t, cfg, topic) || sum != 5 {
		t.Fatalf("ends %v, want %d partitions holding 5 records", ends[topic], partitionCount(t, cfg, topic))
	}
	again, _, err := Identity(ctx, cfg, nil)
	if err != nil || again != id {
		t.Fatalf("a second look: %q, %v; the first %q", again, err, id)
	}
	_, other := mustCluster(t, kfake.ClusterID("kitchen-b"))
	if otherID, _, err := Identity(ctx, other, nil); err != nil || otherID == id {
		t.Fatalf("another cluster: %q, %v; this one %q", otherID, err, id)
	}
}
