package boltlog_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/pizzeria/pizzeria/events"
	"github.com/pizzeria/pizzeria/internal/boltlog"
)

// benchPayload is the size of a typical pizza event.
var benchPayload = []byte(`{"order_id":"4f9c8a1e-2b7d-4c1a-9e3f-5a6b7c8d9e0f","pizza_id":"0b1c2d3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e","sauce":"regular","cheese":"goat cheese","meats":"pepperoni & ham","veggies":""}`)

func benchMessage() *message.Message {
	msg := message.NewMessage(watermill.NewUUID(), benchPayload)
	msg.Metadata.Set(events.MetaEventType, "CheeseAdded")
	msg.Metadata.Set(events.MetaSchemaVersion, "1")
	msg.Metadata.Set(events.MetaCorrelationID, "4f9c8a1e-2b7d-4c1a-9e3f-5a6b7c8d9e0f")
	return msg
}

func reportRate(b *testing.B, l *boltlog.Log, before boltlog.Stats, start time.Time) {
	b.Helper()
	after := l.Stats()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
	if txs := after.Transactions - before.Transactions; txs > 0 {
		b.ReportMetric(float64(after.Appended-before.Appended)/float64(txs), "msgs/tx")
	}
}

// BenchmarkPublishSequential is one publisher waiting for each commit: the
// fsync latency bound.
func BenchmarkPublishSequential(b *testing.B) {
	l := mustOpen(b, testConfig(b))
	pub := l.Publisher()
	before, start := l.Stats(), time.Now()
	for b.Loop() {
		if err := pub.Publish("pizza", benchMessage()); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b, l, before, start)
}

// BenchmarkPublishParallel is 64 publishers per CPU sharing commits.
func BenchmarkPublishParallel(b *testing.B) {
	l := mustOpen(b, testConfig(b))
	pub := l.Publisher()
	before, start := l.Stats(), time.Now()
	b.SetParallelism(64)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := pub.Publish("pizza", benchMessage()); err != nil {
				b.Error(err)
				return
			}
		}
	})
	reportRate(b, l, before, start)
}

// BenchmarkEndToEnd publishes from 64 goroutines per CPU while one consumer
// group receives and acks; it stops when the last message is acked.
func BenchmarkEndToEnd(b *testing.B) {
	l := mustOpen(b, testConfig(b))
	pub := l.Publisher()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	msgs, err := l.Subscriber("bench").Subscribe(ctx, "pizza")
	if err != nil {
		b.Fatal(err)
	}
	var consumed atomic.Int64
	allConsumed := make(chan struct{})
	target := int64(b.N)
	go func() {
		for msg := range msgs {
			msg.Ack()
			if consumed.Add(1) == target {
				close(allConsumed)
			}
		}
	}()

	before, start := l.Stats(), time.Now()
	b.SetParallelism(64)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := pub.Publish("pizza", benchMessage()); err != nil {
				b.Error(err)
				return
			}
		}
	})
	select {
	case <-allConsumed:
	case <-time.After(time.Minute):
		b.Fatalf("consumed %d of %d", consumed.Load(), b.N)
	}
	reportRate(b, l, before, start)
}
