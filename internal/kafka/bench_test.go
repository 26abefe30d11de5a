package kafka

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/IBM/sarama"
	wmkafka "github.com/ThreeDotsLabs/watermill-kafka/v3/pkg/kafka"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/twmb/franz-go/pkg/kgo"
)

// The benchmarks push b.N messages through consume → handle → ack, the
// way watermill's router drives a subscriber: one goroutine per delivered
// message. The handler either acks at once or waits handlerDelay first,
// which stands in for the produce round trip a real stage makes. Run with
// a fixed count, e.g.
//
//	go test -run '^$' -bench . -benchtime 20000x ./internal/kafka/
//
// Figures are printed as msgs/s.

var subscribers = []struct {
	name string
	new  func(tb testing.TB, cfg Config, group string) message.Subscriber
}{
	{"watermill-kafka", newWatermillKafkaSubscriber},
	{"parallel", func(tb testing.TB, cfg Config, group string) message.Subscriber {
		sub, err := NewSubscriber(cfg, group)
		if err != nil {
			tb.Fatal(err)
		}
		return sub
	}},
}

// newWatermillKafkaSubscriber is watermill-kafka's own subscriber with the
// settings Pizzeria used before it had its own, kept as the baseline.
func newWatermillKafkaSubscriber(tb testing.TB, cfg Config, group string) message.Subscriber {
	cfg.setDefaults()
	sc, err := consumerConfig(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	sub, err := wmkafka.NewSubscriber(wmkafka.SubscriberConfig{
		Brokers:               cfg.Brokers,
		Unmarshaler:           saramaUnmarshaler{newMarshaler(cfg)},
		OverwriteSaramaConfig: sc,
		ConsumerGroup:         group,
		NackResendSleep:       nackDelay,
		ReconnectRetrySleep:   2 * time.Second,
	}, cfg.Logger)
	if err != nil {
		tb.Fatal(err)
	}
	return sub
}

// saramaUnmarshaler adapts the marshaler to watermill-kafka's interface.
type saramaUnmarshaler struct{ m marshaler }

func (u saramaUnmarshaler) Unmarshal(rec *sarama.ConsumerMessage) (*message.Message, error) {
	return u.m.Unmarshal(rec)
}

func BenchmarkConsumeAck(b *testing.B) {
	for _, s := range subscribers {
		for _, partitions := range []int32{6, 32} {
			for _, delay := range []time.Duration{0, time.Millisecond} {
				b.Run(fmt.Sprintf("%s/partitions=%d/handler=%s", s.name, partitions, delay), func(b *testing.B) {
					benchConsume(b, partitions, delay, s.new)
				})
			}
		}
	}
}

func benchConsume(b *testing.B, partitions int32, delay time.Duration, newSub func(testing.TB, Config, string) message.Subscriber) {
	_, cfg := mustCluster(b)
	cfg.Partitions = partitions
	ctx := testCtx(b, 10*time.Minute)
	topic := newTopic(b, ctx, cfg)
	fill(b, ctx, cfg, topic, b.N)

	sub := newSub(b, cfg, "bench")
	defer func() { _ = sub.Close() }()
	b.ResetTimer()
	start := time.Now()
	ch, err := sub.Subscribe(ctx, topic)
	if err != nil {
		b.Fatal(err)
	}
	var wg sync.WaitGroup
	for range b.N {
		msg, ok := <-ch
		if !ok {
			b.Fatal("channel closed")
		}
		wg.Go(func() {
			if delay > 0 {
				time.Sleep(delay)
			}
			msg.Ack()
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
}

// fill writes n small keyed records with a raw client, outside the timing.
func fill(tb testing.TB, ctx context.Context, cfg Config, topic string, n int) {
	tb.Helper()
	cl := rawClient(tb, cfg, kgo.DefaultProduceTopic(topic))
	var wg sync.WaitGroup
	var once sync.Once
	for i := range n {
		wg.Add(1)
		key := fmt.Appendf(nil, "order-%d", i%1000)
		cl.Produce(ctx, &kgo.Record{Key: key, Value: []byte(`{"n":1}`)}, func(_ *kgo.Record, err error) {
			if err != nil {
				once.Do(func() { tb.Errorf("fill: %v", err) })
			}
			wg.Done()
		})
	}
	wg.Wait()
}

func BenchmarkPublishConcurrent(b *testing.B) {
	for _, callers := range []int{1, 64} {
		b.Run(fmt.Sprintf("callers=%d", callers), func(b *testing.B) {
			_, cfg := mustCluster(b)
			cfg.Partitions = 6
			ctx := testCtx(b, 10*time.Minute)
			topic := newTopic(b, ctx, cfg)
			pub := mustPublisher(b, cfg)
			work := make(chan int)
			var wg sync.WaitGroup
			b.ResetTimer()
			start := time.Now()
			for range callers {
				wg.Go(func() {
					for i := range work {
						if err := pub.Publish(topic, event(fmt.Sprint(i), fmt.Sprintf("order-%d", i%1000))); err != nil {
							b.Error(err)
						}
					}
				})
			}
			for i := range b.N {
				work <- i
			}
			close(work)
			wg.Wait()
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
		})
	}
}
