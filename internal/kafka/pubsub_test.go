package kafka

import (
	"context"
	"hash/crc32"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
)

func mustSubscribe(t *testing.T, cfg Config, group, topic string) (message.Subscriber, <-chan *message.Message) {
	t.Helper()
	sub, err := NewSubscriber(cfg, group)
	if err != nil {
		t.Fatalf("NewSubscriber: %v", err)
	}
	t.Cleanup(func() { _ = sub.Close() })
	ch, err := sub.Subscribe(testCtx(t, time.Minute), topic)
	if err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	return sub, ch
}

func TestRoundTripKeepsMetadataAndPartitionsByCorrelationID(t *testing.T) {
	_, cfg := mustCluster(t)
	ctx := testCtx(t, time.Minute)
	topic := newTopic(t, ctx, cfg)
	pub := mustPublisher(t, cfg)

	sent := []*message.Message{event("e1", "order-a"), event("e2", "order-b"), event("e3", "order-a")}
	// A handler may copy the metadata of the message it reacts to; the
	// receive-side keys must not reach the wire.
	sent[2].Metadata.Set(DefaultPartitionMetadata, "99")
	sent[2].Metadata.Set(DefaultOffsetMetadata, "99")
	if err := pub.Publish(topic, sent...); err != nil {
		t.Fatalf("Publish: %v", err)
	}

	_, ch := mustSubscribe(t, cfg, "round-trip", topic)
	got := map[string]*message.Message{}
	for _, msg := range receive(t, ch, 3, 30*time.Second) {
		got[msg.UUID] = msg
	}
	for _, want := range sent {
		msg, ok := got[want.UUID]
		if !ok {
			t.Fatalf("message %s not delivered", want.UUID)
		}
		if string(msg.Payload) != string(want.Payload) {
			t.Errorf("%s payload = %s, want %s", want.UUID, msg.Payload, want.Payload)
		}
		for _, k := range []string{metaEventID, metaCorrelationID, metaEventType} {
			if msg.Metadata.Get(k) != want.Metadata.Get(k) {
				t.Errorf("%s metadata %s = %q, want %q", want.UUID, k, msg.Metadata.Get(k), want.Metadata.Get(k))
			}
		}
		if msg.Metadata.Get(DefaultOffsetMetadata) == "" {
			t.Errorf("%s has no %s", want.UUID, DefaultOffsetMetadata)
		}
		// librdkafka's consistent_random partitioner: CRC-32 of the key.
		key := want.Metadata.Get(metaCorrelationID)
		if p, wantP := partitionOf(t, msg), int32(crc32.ChecksumIEEE([]byte(key))%uint32(cfg.Partitions)); p != wantP {
			t.Errorf("%s (key %s) on partition %d, want %d", want.UUID, key, p, wantP)
		}
	}
	if partitionOf(t, got["e1"]) != partitionOf(t, got["e3"]) {
		t.Errorf("same correlation id on partitions %d and %d", partitionOf(t, got["e1"]), partitionOf(t, got["e3"]))
	}

	for _, rec := range rawRecords(t, ctx, cfg, topic, 3) {
		for _, h := range rec.Headers {
			if h.Key == DefaultPartitionMetadata || h.Key == DefaultOffsetMetadata {
				t.Errorf("record %d@%d carries header %s", rec.Partition, rec.Offset, h.Key)
			}
		}
		var cid string
		for _, h := range rec.Headers {
			if h.Key == metaCorrelationID {
				cid = string(h.Value)
			}
		}
		if string(rec.Key) != cid {
			t.Errorf("record key %q, want correlation id %q", rec.Key, cid)
		}
	}
}

func TestGroupResumesFromCommittedOffsetAndNewGroupStartsAtOldest(t *testing.T) {
	_, cfg := mustCluster(t)
	ctx := testCtx(t, time.Minute)
	topic := newTopic(t, ctx, cfg)
	pub := mustPublisher(t, cfg)
	publish := func(ids ...string) {
		for _, id := range ids {
			if err := pub.Publish(topic, event(id, "order-1")); err != nil {
				t.Fatalf("Publish %s: %v", id, err)
			}
		}
	}
	uuids := func(msgs []*message.Message) []string {
		var out []string
		for _, m := range msgs {
			out = append(out, m.UUID)
		}
		return out
	}
	assertIDs := func(got []*message.Message, want ...string) {
		t.Helper()
		if g := uuids(got); len(g) != len(want) || func() bool {
			for i := range g {
				if g[i] != want[i] {
					return true
				}
			}
			return false
		}() {
			t.Fatalf("got %v, want %v", g, want)
		}
	}

	publish("m1", "m2", "m3")
	sub, ch := mustSubscribe(t, cfg, "stage", topic)
	assertIDs(receive(t, ch, 3, 30*time.Second), "m1", "m2", "m3")
	// Offsets are committed asynchronously; an ack racing Close may be
	// redelivered (at least once). Wait until the commit is visible.
	waitLag(t, ctx, cfg, "stage", topic, 0)
	if err := sub.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	publish("m4", "m5")
	_, ch = mustSubscribe(t, cfg, "stage", topic)
	assertIDs(receive(t, ch, 2, 30*time.Second), "m4", "m5")

	_, fresh := mustSubscribe(t, cfg, "projection", topic)
	assertIDs(receive(t, fresh, 5, 30*time.Second), "m1", "m2", "m3", "m4", "m5")
	assertNoMore(t, ch, 200*time.Millisecond)
}

// waitLag polls Lag until it equals want.
func waitLag(t *testing.T, ctx context.Context, cfg Config, group, topic string, want int64) {
	t.Helper()
	var last int64
	for ctx.Err() == nil {
		lag, err := Lag(ctx, cfg, group, []string{topic})
		if err != nil {
			t.Fatalf("Lag: %v", err)
		}
		if last = lag; lag == want {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("lag of %s on %s stayed %d, want %d", group, topic, last, want)
}
