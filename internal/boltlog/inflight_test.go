package boltlog_test

import (
	"slices"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/pizzeria/pizzeria/internal/boltlog"
)

// receiveN receives n messages and indexes them by offset.
func receiveN(tb testing.TB, ch <-chan *message.Message, n int) map[uint64]*message.Message {
	tb.Helper()
	got := make(map[uint64]*message.Message, n)
	for range n {
		msg := receive(tb, ch, 5*time.Second)
		pos := positionOf(tb, msg)
		if got[pos.offset] != nil {
			tb.Fatalf("offset %d delivered twice", pos.offset)
		}
		got[pos.offset] = msg
	}
	return got
}

func wantCommitted(tb testing.TB, l *boltlog.Log, group, topic string, want ...uint64) {
	tb.Helper()
	if got, err := l.Committed(group, topic); err != nil || !slices.Equal(got, want) {
		tb.Fatalf("Committed(%s, %s) = %v, %v; want %v", group, topic, got, err, want)
	}
}

// TestOutOfOrderAcksThenReopen checks that the committed position is the end
// of the longest fully-acked prefix, and that after a restart delivery
// resumes at the first un-acked offset.
func TestOutOfOrderAcksThenReopen(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.Partitions = 1
	l := mustOpenNoCleanup(t, cfg)
	msgs := mustPublish(t, l.Publisher(), "t", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9")

	ch := subscribe(t, l.Subscriber("g"), "t")
	got := receiveN(t, ch, len(msgs)) // all out before any ack
	for _, off := range []uint64{7, 5, 1, 4, 0, 2} {
		got[off].Ack()
	}
	// Acks are taken in asynchronously.
	waitCommitted(t, l, "g", "t", 3)
	closeWithin(t, l, 5*time.Second)

	l = mustOpen(t, cfg)
	wantCommitted(t, l, "g", "t", 3)
	ch = subscribe(t, l.Subscriber("g"), "t")
	for want := uint64(3); want < uint64(len(msgs)); want++ {
		msg := receive(t, ch, 5*time.Second)
		if pos := positionOf(t, msg); pos.offset != want || msg.UUID != msgs[want].UUID {
			t.Fatalf("after reopen got %s at %d, want %s at %d", msg.UUID, pos.offset, msgs[want].UUID, want)
		}
		msg.Ack()
	}
	waitCommitted(t, l, "g", "t", uint64(len(msgs)))
}

// TestNackDoesNotHoldUpThePartition checks that a nacked message comes back
// after NackDelay while its successors, even ones appended after the nack,
// go ahead; and that the committed position waits for it.
func TestNackDoesNotHoldUpThePartition(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.Partitions = 1
	cfg.NackDelay = 300 * time.Millisecond
	l := mustOpen(t, cfg)
	pub := l.Publisher()
	mustPublish(t, pub, "t", "0", "1", "2")
	ch := subscribe(t, l.Subscriber("g"), "t")
	got := receiveN(t, ch, 3)

	nackedAt := time.Now()
	got[0].Nack()
	got[1].Ack()
	got[2].Ack()
	mustPublish(t, pub, "t", "3")
	next := receive(t, ch, 5*time.Second)
	if pos := positionOf(t, next); pos.offset != 3 {
		t.Fatalf("after a nack of 0 got offset %d first, want 3", pos.offset)
	}
	next.Ack()
	wantCommitted(t, l, "g", "t", 0)

	again := receive(t, ch, 5*time.Second)
	if waited := time.Since(nackedAt); waited < cfg.NackDelay {
		t.Fatalf("redelivered after %v, before NackDelay %v", waited, cfg.NackDelay)
	}
	if pos := positionOf(t, again); pos.offset != 0 || again.UUID != got[0].UUID {
		t.Fatalf("redelivered %s at %d, want %s at 0", again.UUID, pos.offset, got[0].UUID)
	}
	again.Ack()
	waitCommitted(t, l, "g", "t", 4)
}

// TestMaxInFlightBoundsTheWindow checks that no offset at or beyond the first
// un-acked one plus MaxInFlight is handed out, acked or not.
func TestMaxInFlightBoundsTheWindow(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.Partitions = 1
	cfg.MaxInFlight = 4
	l := mustOpen(t, cfg)
	mustPublish(t, l.Publisher(), "t", "0", "1", "2", "3", "4", "5", "6", "7")
	ch := subscribe(t, l.Subscriber("g"), "t")
	got := receiveN(t, ch, 4)
	for off := range uint64(4) {
		if got[off] == nil {
			t.Fatalf("first four deliveries %v, want offsets 0 to 3", got)
		}
	}
	expectNothing(t, ch, 100*time.Millisecond)
	got[1].Ack()
	got[2].Ack()
	expectNothing(t, ch, 100*time.Millisecond) // 0 still holds the window
	got[0].Ack()
	more := receiveN(t, ch, 3)
	for off := uint64(4); off < 7; off++ {
		if more[off] == nil {
			t.Fatalf("after the ack of 0 got %v, want offsets 4 to 6", more)
		}
	}
	expectNothing(t, ch, 100*time.Millisecond)
	wantCommitted(t, l, "g", "t", 3)
}

// TestCloseWithMessagesInFlight ends a subscription holding un-acked
// messages: the group's position stays at the first of them, and the next
// subscription, in this Log or after a reopen, starts there.
func TestCloseWithMessagesInFlight(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.Partitions = 1
	l := mustOpenNoCleanup(t, cfg)
	msgs := mustPublish(t, l.Publisher(), "t", "0", "1", "2", "3", "4", "5")
	sub := l.Subscriber("g")
	ch := subscribe(t, sub, "t")
	got := receiveN(t, ch, len(msgs))
	got[0].Ack()
	got[1].Ack()
	got[3].Ack()
	waitCommitted(t, l, "g", "t", 2)
	if err := sub.Close(); err != nil {
		t.Fatal(err)
	}
	for off, msg := range got {
		select {
		case <-msg.Context().Done():
		default:
			t.Fatalf("offset %d: context not cancelled by Close", off)
		}
	}
	got[4].Ack() // after the end: harmless, and not counted
	wantCommitted(t, l, "g", "t", 2)

	ch = subscribe(t, l.Subscriber("g"), "t")
	if msg := receive(t, ch, 5*time.Second); positionOf(t, msg).offset != 2 {
		t.Fatalf("next subscription started at %d, want 2", positionOf(t, msg).offset)
	}
	closeWithin(t, l, 5*time.Second)

	l = mustOpen(t, cfg)
	wantCommitted(t, l, "g", "t", 2)
	ch = subscribe(t, l.Subscriber("g"), "t")
	if msg := receive(t, ch, 5*time.Second); positionOf(t, msg).offset != 2 || msg.UUID != msgs[2].UUID {
		t.Fatalf("after reopen started at %d, want 2", positionOf(t, msg).offset)
	}
}

// waitCommitted waits for acks to move the group's position to want.
func waitCommitted(tb testing.TB, l *boltlog.Log, group, topic string, want ...uint64) {
	tb.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got, err := l.Committed(group, topic)
		if err == nil && slices.Equal(got, want) {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("Committed(%s, %s) = %v, %v; want %v", group, topic, got, err, want)
		}
		time.Sleep(time.Millisecond)
	}
}
