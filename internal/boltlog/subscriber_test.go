package boltlog_test

import (
	"context"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/pizzeria/pizzeria/internal/boltlog"
)

// TestCompetingSubscribersShareOneCursor checks that competing
// subscriptions of one group get every message exactly once between them;
// with MaxInFlight 1 also in offset order.
func TestCompetingSubscribersShareOneCursor(t *testing.T) {
	t.Run("MaxInFlight=1", func(t *testing.T) { testCompetingSubscribers(t, 1) })
	t.Run("default", func(t *testing.T) { testCompetingSubscribers(t, 0) })
}

func testCompetingSubscribers(t *testing.T, maxInFlight int) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.MaxInFlight = maxInFlight
	l := mustOpen(t, cfg)
	const n = 300
	payloads := make([]string, n)
	for i := range payloads {
		payloads[i] = strconv.Itoa(i)
	}
	// Two Subscriber values and two subscriptions each, one group.
	var chans []<-chan *message.Message
	for range 2 {
		sub := l.Subscriber("stage")
		chans = append(chans, subscribe(t, sub, "pizza"), subscribe(t, sub, "pizza"))
	}
	pub := l.Publisher()
	go func() {
		for _, p := range payloads {
			if err := pub.Publish("pizza", message.NewMessage(p, []byte(p))); err != nil {
				t.Error(err)
			}
		}
	}()

	var mu sync.Mutex
	var order []int
	perChan := make([]int, len(chans))
	done := make(chan struct{})
	var wg sync.WaitGroup
	for i, ch := range chans {
		wg.Go(func() {
			for {
				select {
				case msg, ok := <-ch:
					if !ok {
						return
					}
					off, _ := strconv.Atoi(msg.Metadata.Get(boltlog.MetaReceivedOffset))
					mu.Lock()
					order = append(order, off)
					perChan[i]++
					mu.Unlock()
					msg.Ack()
				case <-done:
					return
				}
			}
		})
	}
	deadline := time.After(30 * time.Second)
	for {
		mu.Lock()
		got := len(order)
		mu.Unlock()
		if got >= n {
			break
		}
		select {
		case <-deadline:
			t.Fatalf("received %d of %d", got, n)
		case <-time.After(5 * time.Millisecond):
		}
	}
	time.Sleep(50 * time.Millisecond) // room for a wrong duplicate to show up
	close(done)
	wg.Wait()

	if len(order) != n {
		t.Fatalf("received %d deliveries for %d messages", len(order), n)
	}
	if maxInFlight != 1 {
		slices.Sort(order)
	}
	for i, off := range order {
		if off != i {
			t.Fatalf("delivery %d was offset %d: out of order or duplicated", i, off)
		}
	}
	t.Logf("deliveries per subscription: %v", perChan)
}

func TestNackRedeliversSameMessageAfterDelay(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.MaxInFlight = 1
	cfg.NackDelay = 80 * time.Millisecond
	l := mustOpen(t, cfg)
	mustPublish(t, l.Publisher(), "t", "first", "second")
	ch := subscribe(t, l.Subscriber("g"), "t")

	msg := receive(t, ch, 5*time.Second)
	nackedAt := time.Now()
	msg.Nack()
	again := receive(t, ch, 5*time.Second)
	if waited := time.Since(nackedAt); waited < cfg.NackDelay {
		t.Fatalf("redelivered after %v, before NackDelay %v", waited, cfg.NackDelay)
	}
	if again.UUID != msg.UUID || again.Metadata.Get(boltlog.MetaReceivedOffset) != "0" {
		t.Fatalf("redelivered %s at offset %s, want %s at 0", again.UUID, again.Metadata.Get(boltlog.MetaReceivedOffset), msg.UUID)
	}
	if again == msg {
		t.Fatal("redelivery reused the nacked message value")
	}
	again.Ack()
	if next := receive(t, ch, 5*time.Second); string(next.Payload) != "second" {
		t.Fatalf("after ack got %q, want second", next.Payload)
	}
}

func TestSubscriberWakesOnAppend(t *testing.T) {
	t.Parallel()
	l := mustOpen(t, testConfig(t))
	ch := subscribe(t, l.Subscriber("g"), "t")
	expectNothing(t, ch, 50*time.Millisecond)
	for i := range 3 {
		start := time.Now()
		mustPublish(t, l.Publisher(), "t", strconv.Itoa(i))
		msg := receive(t, ch, time.Second)
		if string(msg.Payload) != strconv.Itoa(i) {
			t.Fatalf("got %q, want %d", msg.Payload, i)
		}
		msg.Ack()
		t.Logf("publish to delivery: %v", time.Since(start))
	}
}

func TestSubscriptionEnds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		end  func(cancel context.CancelFunc, sub message.Subscriber, l *boltlog.Log) error
	}{
		{"context cancelled", func(cancel context.CancelFunc, _ message.Subscriber, _ *boltlog.Log) error { cancel(); return nil }},
		{"subscriber closed", func(_ context.CancelFunc, sub message.Subscriber, _ *boltlog.Log) error { return sub.Close() }},
		{"log closed", func(_ context.CancelFunc, _ message.Subscriber, l *boltlog.Log) error { return l.Close() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l := mustOpen(t, testConfig(t))
			mustPublish(t, l.Publisher(), "t", "a", "b")
			sub := l.Subscriber("g")
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			ch, err := sub.Subscribe(ctx, "t")
			if err != nil {
				t.Fatal(err)
			}
			inFlight := receive(t, ch, 5*time.Second) // never acked

			ended := make(chan error, 1)
			go func() { ended <- tt.end(cancel, sub, l) }()
			select {
			case err := <-ended:
				if err != nil {
					t.Fatal(err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("ending the subscription hung with a message in flight")
			}
			// The channel closes. Ending by context races with a consumer
			// still reading: a message it takes from the buffer then was
			// handed out before the end, and comes with its context done,
			// so that its ack does not count.
			for closed := false; !closed; {
				select {
				case m, ok := <-ch:
					closed = !ok
					if ok && m.Context().Err() == nil {
						t.Fatal("message delivered after the end with a live context")
					}
				case <-time.After(5 * time.Second):
					t.Fatal("channel not closed")
				}
			}
			select {
			case <-inFlight.Context().Done():
			case <-time.After(5 * time.Second):
				t.Fatal("in-flight message context not cancelled")
			}
		})
	}
}

func TestPublisherCloseLeavesLogOpen(t *testing.T) {
	t.Parallel()
	l := mustOpen(t, testConfig(t))
	pub := l.Publisher()
	if err := pub.Close(); err != nil {
		t.Fatal(err)
	}
	if err := pub.Publish("t", message.NewMessage("x", nil)); err != boltlog.ErrClosed {
		t.Fatalf("Publish after Close: %v, want ErrClosed", err)
	}
	mustPublish(t, l.Publisher(), "t", "still works")
	sub := l.Subscriber("g")
	if err := sub.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := sub.Subscribe(context.Background(), "t"); err != boltlog.ErrClosed {
		t.Fatalf("Subscribe after Close: %v, want ErrClosed", err)
	}
	ch := subscribe(t, l.Subscriber("g"), "t")
	receive(t, ch, 5*time.Second).Ack()
}

// TestCloseLeaksNoGoroutines is not parallel: it counts the process's
// goroutines.
func TestCloseLeaksNoGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	l, err := boltlog.Open(testConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	mustPublish(t, l.Publisher(), "a", "1", "2")
	ctx := context.Background()
	for _, g := range []string{"g1", "g2"} {
		for _, topic := range []string{"a", "b"} {
			if _, err := l.Subscriber(g).Subscribe(ctx, topic); err != nil {
				t.Fatal(err)
			}
		}
	}
	nacked, err := l.Subscriber("g3").Subscribe(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	receive(t, nacked, 5*time.Second).Nack() // leaves a subscription in its nack delay
	closeWithin(t, l, 5*time.Second)

	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if after := runtime.NumGoroutine(); after > before {
		buf := make([]byte, 1<<16)
		t.Fatalf("%d goroutines before Open, %d after Close:\n%s", before, after, buf[:runtime.Stack(buf, true)])
	}
}
