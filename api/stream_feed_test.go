package api

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestFeedSendsAFlushAsOneBatch: the frames due at one tick reach every
// client as one batch of bytes, each frame with its own id, and the same
// bytes for every client.
func TestFeedSendsAFlushAsOneBatch(t *testing.T) {
	feed, err := NewKitchenFeed(KitchenFeedConfig{Interval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer feed.Close()
	a, _, _ := feed.subscribe("")
	b, _, _ := feed.subscribe("")
	flush(feed, []named{{"placed", []placedFrame{{OrderID: "o1", Count: 2}}}, {"completed", []completedFrame{{OrderID: "o0"}}}})
	got, other := <-a.ch, <-b.ch
	if !bytes.Equal(got, other) {
		t.Fatalf("clients got different batches:\n%s\n%s", got, other)
	}
	want := fmt.Sprintf("id: %[1]s-1\nevent: placed\ndata: [{\"order_id\":\"o1\",\"count\":2,\"placed_at\":\"0001-01-01T00:00:00Z\"}]\n\n"+
		"id: %[1]s-2\nevent: completed\ndata: [{\"order_id\":\"o0\",\"completed_at\":\"0001-01-01T00:00:00Z\"}]\n\n", feed.boot)
	if string(got) != want {
		t.Fatalf("batch\n%q\nwant\n%q", got, want)
	}
	c, replay, resumed := feed.subscribe(feed.boot + "-1")
	if !resumed || len(replay) != 1 || !bytes.HasPrefix(replay[0], []byte("id: "+feed.boot+"-2\nevent: completed\n")) {
		t.Fatalf("resuming after frame 1: resumed %v, replay %q", resumed, replay)
	}
	for shard := range feedShards {
		feed.deliver(shard) // the batch again: not to a, b, nor c, which was resumed past it
	}
	for name, cl := range map[string]*feedClient{"a": a, "b": b, "c": c} {
		select {
		case dup := <-cl.ch:
			t.Fatalf("client %s was handed frames it had: %q", name, dup)
		default:
		}
	}
}

// flush publishes frames and hands them to every shard at once.
func flush(feed *KitchenFeed, frames []named) {
	feed.publish(frames)
	for shard := range feedShards {
		feed.deliver(shard)
	}
}

// TestPulseBeatsForEveryWaiterAtOnce: streams waiting on the pulse share
// one channel, closed at the beat; the next wait gets a fresh one.
func TestPulseBeatsForEveryWaiterAtOnce(t *testing.T) {
	p := &pulse{every: 20 * time.Millisecond}
	first, second := p.next(), p.next()
	if first != second {
		t.Fatal("two waiters before a beat got different channels")
	}
	select {
	case <-first:
	case <-time.After(5 * time.Second):
		t.Fatal("no beat within 5s")
	}
	next := p.next()
	if next == first {
		t.Fatal("the wait after a beat got the channel already closed")
	}
	<-next
}

// TestFeedFlushesLessOftenWithManyClients: the writes a feed asks of its
// clients stay within feedWritesPerSecond, and flushes are never further
// apart than the rates interval.
func TestFeedFlushesLessOftenWithManyClients(t *testing.T) {
	for _, tc := range []struct {
		name     string
		interval time.Duration
		clients  int
		want     time.Duration
	}{
		{"no client", time.Second, 0, feedFlush},
		{"few clients", time.Second, feedWritesPerSecond / 8, feedFlush},
		{"half the budget at one flush a second", time.Second, feedWritesPerSecond / 2, 500 * time.Millisecond},
		{"more than the budget", time.Second, 2 * feedWritesPerSecond, time.Second},
		{"a rates interval shorter than a flush", 100 * time.Millisecond, 0, 100 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			feed, err := NewKitchenFeed(KitchenFeedConfig{Interval: tc.interval})
			if err != nil {
				t.Fatal(err)
			}
			defer feed.Close()
			for range tc.clients {
				feed.subscribe("")
			}
			if got := feed.flushPeriod(); got != tc.want {
				t.Fatalf("flush every %v, want %v", got, tc.want)
			}
		})
	}
}

// BenchmarkKitchenFeedPublish hands one flush (a placed and a completed
// frame of 30 orders each) to 1,000 clients: encoded once, then one
// channel send per client.
func BenchmarkKitchenFeedPublish(b *testing.B) {
	feed, err := NewKitchenFeed(KitchenFeedConfig{Interval: time.Hour, ClientBuffer: 1024})
	if err != nil {
		b.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 1000 {
		c, _, _ := feed.subscribe("")
		wg.Go(func() {
			for range c.ch {
			}
		})
	}
	now := time.Now()
	placed, completed := make([]placedFrame, 30), make([]completedFrame, 30)
	for i := range placed {
		placed[i] = placedFrame{fmt.Sprintf("%036d", i), 10, now}
		completed[i] = completedFrame{fmt.Sprintf("%036d", i), now}
	}
	frames := []named{{"placed", placed}, {"completed", completed}}
	b.ReportAllocs()
	for b.Loop() {
		flush(feed, frames)
	}
	b.StopTimer()
	b.ReportMetric(testutil.ToFloat64(feed.dropped), "dropped")
	feed.Close()
	wg.Wait()
}
