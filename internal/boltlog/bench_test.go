package boltlog_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/pizzeria/pizzeria/internal/boltlog"
	bolt "go.etcd.io/bbolt"
)

// benchPayload is the size of a typical pizza event.
var benchPayload = []byte(`{"order_id":"4f9c8a1e-2b7d-4c1a-9e3f-5a6b7c8d9e0f","pizza_id":"0b1c2d3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e","sauce":"regular","cheese":"goat cheese","meats":"pepperoni & ham","veggies":""}`)

// benchOrders are the correlation ids benchmark messages spread over, as the
// orders in a busy kitchen do.
var benchOrders = func() []string {
	ids := make([]string, 256)
	for i := range ids {
		ids[i] = watermill.NewUUID()
	}
	return ids
}()

var benchSeq atomic.Uint64

func benchMessage() *message.Message {
	msg := message.NewMessage(watermill.NewUUID(), benchPayload)
	msg.Metadata.Set("event_type", "CheeseAdded")
	msg.Metadata.Set("schema_version", "1")
	msg.Metadata.Set(metaCorrelationID, benchOrders[benchSeq.Add(1)%uint64(len(benchOrders))])
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

// BenchmarkStage is a pipeline stage as the watermill router runs one: each
// delivered message is handled in its own goroutine, which publishes one
// message (waiting for its commit) and then acks. The input is written
// before the clock starts. With one partition the stage handles one message
// per commit; with several, the partitions' handlers share commits.
func BenchmarkStage(b *testing.B) {
	for _, partitions := range []int{1, 8} {
		b.Run(fmt.Sprintf("partitions=%d", partitions), func(b *testing.B) {
			cfg := testConfig(b)
			cfg.Partitions = partitions
			l := mustOpen(b, cfg)
			pub := l.Publisher()
			for left := b.N; left > 0; {
				batch := make([]*message.Message, min(left, 500))
				for i := range batch {
					batch[i] = benchMessage()
				}
				if err := pub.Publish("in", batch...); err != nil {
					b.Fatal(err)
				}
				left -= len(batch)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			msgs, err := l.Subscriber("stage").Subscribe(ctx, "in")
			if err != nil {
				b.Fatal(err)
			}

			before, start := l.Stats(), time.Now()
			b.ResetTimer()
			var handled atomic.Int64
			allHandled := make(chan struct{})
			go func() {
				for msg := range msgs {
					go func() {
						out := message.NewMessage(watermill.NewUUID(), msg.Payload)
						out.Metadata.Set(metaCorrelationID, msg.Metadata.Get(metaCorrelationID))
						if err := pub.Publish("out", out); err != nil {
							b.Error(err)
							msg.Nack()
							return
						}
						msg.Ack()
						if handled.Add(1) == int64(b.N) {
							close(allHandled)
						}
					}()
				}
			}()
			select {
			case <-allHandled:
			case <-time.After(2 * time.Minute):
				b.Fatalf("handled %d of %d", handled.Load(), b.N)
			}
			b.StopTimer()
			reportRate(b, l, before, start)
		})
	}
}

// BenchmarkDiskBytesPerMessage publishes pizza-sized events from 64
// publishers per CPU and reports the bytes of bbolt pages in use per
// message once the log is closed. Every message here has the same payload
// and few distinct correlation ids, which compress better than a kitchen's
// events: the figure is a floor, for comparing layouts.
func BenchmarkDiskBytesPerMessage(b *testing.B) {
	cfg := testConfig(b)
	l, err := boltlog.Open(cfg)
	if err != nil {
		b.Fatal(err)
	}
	pub := l.Publisher()
	b.SetParallelism(64)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := pub.Publish("pizza", benchMessage()); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	if err := l.Close(); err != nil {
		b.Fatal(err)
	}
	db, err := bolt.Open(cfg.Path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	var used int64
	if err := db.View(func(tx *bolt.Tx) error { used = tx.Size(); return nil }); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(used)/float64(b.N), "disk-bytes/msg")
}
