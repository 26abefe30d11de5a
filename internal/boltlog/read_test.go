package boltlog_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/pizzeria/pizzeria/internal/boltlog"
)

func TestReadPartition(t *testing.T) {
	t.Parallel()
	l := mustOpen(t, testConfig(t))
	mustPublish(t, l.Publisher(), "pizza", "p0", "p1", "p2", "p3", "p4")

	tests := []struct {
		name     string
		topic    string
		from, to uint64
		want     []string
	}{
		{"whole topic", "pizza", 0, 5, []string{"p0", "p1", "p2", "p3", "p4"}},
		{"middle range", "pizza", 1, 3, []string{"p1", "p2"}},
		{"empty range", "pizza", 2, 2, nil},
		{"inverted range", "pizza", 4, 1, nil},
		{"range past the end stops at the end", "pizza", 3, 100, []string{"p3", "p4"}},
		{"range beyond the end", "pizza", 5, 10, nil},
		{"unknown topic", "nope", 0, 10, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			err := l.ReadPartition(context.Background(), tt.topic, 0, tt.from, tt.to, func(off uint64, msg *message.Message) error {
				if want := tt.from + uint64(len(got)); off != want {
					t.Errorf("offset %d, want %d", off, want)
				}
				if md := msg.Metadata.Get(boltlog.MetaReceivedOffset); md != strconv.FormatUint(off, 10) {
					t.Errorf("received_offset %q at offset %d", md, off)
				}
				if md := msg.Metadata.Get(boltlog.MetaReceivedPartition); md != "0" {
					t.Errorf("received_partition %q, want 0", md)
				}
				got = append(got, string(msg.Payload))
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("read %v, want %v", got, tt.want)
			}
		})
	}
}

func TestReadCrossesChunks(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.ReadAhead = 3
	l := mustOpen(t, cfg)
	payloads := make([]string, 10)
	for i := range payloads {
		payloads[i] = strconv.Itoa(i)
	}
	mustPublish(t, l.Publisher(), "t", payloads...)
	var got []string
	err := l.ReadPartition(context.Background(), "t", 0, 1, 9, func(_ uint64, msg *message.Message) error {
		got = append(got, string(msg.Payload))
		return nil
	})
	if err != nil || !slices.Equal(got, payloads[1:9]) {
		t.Fatalf("read %v, %v; want %v", got, err, payloads[1:9])
	}
	got = nil
	err = l.ReadAll(context.Background(), "t", func(msg *message.Message) error {
		got = append(got, string(msg.Payload))
		return nil
	})
	if err != nil || !slices.Equal(got, payloads) {
		t.Fatalf("ReadAll %v, %v; want %v", got, err, payloads)
	}
}

func TestReadStops(t *testing.T) {
	t.Parallel()
	l := mustOpen(t, testConfig(t))
	mustPublish(t, l.Publisher(), "t", "a", "b", "c")
	errStop := errors.New("stop")

	calls := 0
	err := l.ReadAll(context.Background(), "t", func(*message.Message) error {
		calls++
		return errStop
	})
	if !errors.Is(err, errStop) || calls != 1 {
		t.Fatalf("fn error: err=%v calls=%d, want errStop after 1 call", err, calls)
	}

	ctx, cancel := context.WithCancel(context.Background())
	calls = 0
	err = l.ReadAll(ctx, "t", func(*message.Message) error {
		calls++
		cancel()
		return nil
	})
	if !errors.Is(err, context.Canceled) || calls != 1 {
		t.Fatalf("cancelled ctx: err=%v calls=%d, want context.Canceled after 1 call", err, calls)
	}
}

func TestCountLagAndTopics(t *testing.T) {
	t.Parallel()
	l := mustOpen(t, testConfig(t))
	pub := l.Publisher()
	mustPublish(t, pub, "pizza", "a", "b", "c")
	mustPublish(t, pub, "orders", "o1", "o2")

	checks := []struct {
		topic string
		want  int64
	}{{"pizza", 3}, {"orders", 2}, {"unknown", 0}}
	for _, c := range checks {
		if got, err := l.Count(c.topic); err != nil || got != c.want {
			t.Errorf("Count(%q) = %d, %v; want %d", c.topic, got, err, c.want)
		}
	}

	topics := []string{"pizza", "orders", "unknown"}
	if lag, err := l.Lag("fresh", topics); err != nil || lag != 5 {
		t.Fatalf("Lag of a new group = %d, %v; want 5", lag, err)
	}
	ch := subscribe(t, l.Subscriber("fresh"), "pizza")
	receive(t, ch, 5*time.Second).Ack()
	receive(t, ch, 5*time.Second).Ack()
	receive(t, ch, 5*time.Second) // in flight, not acked: still lag
	// Acks are taken in asynchronously.
	waitCommitted(t, l, "fresh", "pizza", 2, 0, 0, 0, 0, 0, 0, 0)
	if lag, err := l.Lag("fresh", topics); err != nil || lag != 3 {
		t.Fatalf("Lag after two acks = %d, %v; want 3", lag, err)
	}
	if lag, err := l.Lag("other", []string{"pizza"}); err != nil || lag != 3 {
		t.Fatalf("groups share positions: Lag(other) = %d, %v; want 3", lag, err)
	}

	mustPublish(t, pub, "pizza", "d")
	if lag, err := l.Lag("fresh", topics); err != nil || lag != 4 {
		t.Fatalf("Lag after append = %d, %v; want 4", lag, err)
	}

	got, err := l.Topics()
	if err != nil || !slices.Equal(got, []string{"orders", "pizza"}) {
		t.Fatalf("Topics = %v, %v; want [orders pizza]", got, err)
	}
}

func TestInvalidNames(t *testing.T) {
	t.Parallel()
	l := mustOpen(t, testConfig(t))
	if err := l.Publisher().Publish("", message.NewMessage("x", nil)); !errors.Is(err, boltlog.ErrInvalidTopic) {
		t.Errorf("Publish to empty topic: %v", err)
	}
	if _, err := l.Subscriber("").Subscribe(context.Background(), "t"); !errors.Is(err, boltlog.ErrInvalidGroup) {
		t.Errorf("Subscribe with empty group: %v", err)
	}
	if _, err := l.Subscriber("g").Subscribe(context.Background(), ""); !errors.Is(err, boltlog.ErrInvalidTopic) {
		t.Errorf("Subscribe to empty topic: %v", err)
	}
	if _, err := l.Count(""); !errors.Is(err, boltlog.ErrInvalidTopic) {
		t.Errorf("Count of empty topic: %v", err)
	}
	if _, err := l.Committed("", "t"); !errors.Is(err, boltlog.ErrInvalidGroup) {
		t.Errorf("Committed of empty group: %v", err)
	}
	if _, err := l.Lag("g", []string{""}); !errors.Is(err, boltlog.ErrInvalidTopic) {
		t.Errorf("Lag of empty topic: %v", err)
	}
	if err := l.ReadAll(context.Background(), "", func(*message.Message) error { return nil }); !errors.Is(err, boltlog.ErrInvalidTopic) {
		t.Errorf("ReadAll of empty topic: %v", err)
	}
	for _, p := range []int{-1, 8} {
		err := l.ReadPartition(context.Background(), "t", p, 0, 1, func(uint64, *message.Message) error { return nil })
		if !errors.Is(err, boltlog.ErrInvalidPartition) {
			t.Errorf("ReadPartition of partition %d of 8: %v", p, err)
		}
	}
}

func TestClosedLogRejectsEverything(t *testing.T) {
	t.Parallel()
	l, err := boltlog.Open(testConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	pub, sub := l.Publisher(), l.Subscriber("g")
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	calls := map[string]error{
		"Publish":       pub.Publish("t", message.NewMessage("x", nil)),
		"ReadAll":       l.ReadAll(context.Background(), "t", func(*message.Message) error { return nil }),
		"ReadPartition": l.ReadPartition(context.Background(), "t", 0, 0, 1, func(uint64, *message.Message) error { return nil }),
	}
	_, calls["Subscribe"] = sub.Subscribe(context.Background(), "t")
	_, calls["Count"] = l.Count("t")
	_, calls["EndOffsets"] = l.EndOffsets("t")
	_, calls["Partitions"] = l.Partitions("t")
	_, calls["Committed"] = l.Committed("g", "t")
	_, calls["Lag"] = l.Lag("g", []string{"t"})
	_, calls["Topics"] = l.Topics()
	for name, err := range calls {
		if !errors.Is(err, boltlog.ErrClosed) {
			t.Errorf("%s after Close: %v, want ErrClosed", name, err)
		}
	}
}
