package kafka

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Metadata names as Pizzeria's services use them.
const (
	metaEventID       = "event_id"
	metaCorrelationID = "correlation_id"
	metaEventType     = "event_type"
)

// byCorrelationID keys records by correlation id, as Pizzeria configures it.
func byCorrelationID(msg *message.Message) string { return msg.Metadata.Get(metaCorrelationID) }

// mustCluster starts an in-process Kafka-protocol broker for one test and
// returns a Config pointing at it.
func mustCluster(tb testing.TB, opts ...kfake.Opt) (*kfake.Cluster, Config) {
	tb.Helper()
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		tb.Fatalf("start kfake: %v", err)
	}
	tb.Cleanup(c.Close)
	return c, Config{Brokers: c.ListenAddrs(), Partitions: 3, PublishTimeout: 2 * time.Second, PartitionKey: byCorrelationID}
}

func newTopic(tb testing.TB, ctx context.Context, cfg Config) string {
	tb.Helper()
	topic := "topic-" + watermill.NewShortUUID()
	if err := EnsureTopics(ctx, cfg, []string{topic}); err != nil {
		tb.Fatalf("EnsureTopics(%s): %v", topic, err)
	}
	return topic
}

func testCtx(tb testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	tb.Cleanup(cancel)
	return ctx
}

func mustPublisher(tb testing.TB, cfg Config) message.Publisher {
	tb.Helper()
	pub, err := NewPublisher(cfg)
	if err != nil {
		tb.Fatalf("NewPublisher: %v", err)
	}
	tb.Cleanup(func() { _ = pub.Close() })
	return pub
}

// event builds a message the way Pizzeria's services do.
func event(id, order string) *message.Message {
	msg := message.NewMessage(id, []byte(`{"order_id":"`+order+`","id":"`+id+`"}`))
	msg.Metadata.Set(metaEventID, id)
	msg.Metadata.Set(metaCorrelationID, order)
	msg.Metadata.Set(metaEventType, "Test")
	return msg
}

// receive reads n messages from ch, acking each, or fails after d.
func receive(tb testing.TB, ch <-chan *message.Message, n int, d time.Duration) []*message.Message {
	tb.Helper()
	var got []*message.Message
	timeout := time.After(d)
	for len(got) < n {
		select {
		case msg, ok := <-ch:
			if !ok {
				tb.Fatalf("channel closed after %d of %d messages", len(got), n)
			}
			msg.Ack()
			got = append(got, msg)
		case <-timeout:
			tb.Fatalf("received %d of %d messages within %s", len(got), n, d)
		}
	}
	return got
}

// assertNoMore fails if ch delivers anything within d.
func assertNoMore(tb testing.TB, ch <-chan *message.Message, d time.Duration) {
	tb.Helper()
	select {
	case msg := <-ch:
		tb.Fatalf("unexpected message %s %v", msg.UUID, msg.Metadata)
	case <-time.After(d):
	}
}

func partitionOf(tb testing.TB, msg *message.Message) int32 {
	tb.Helper()
	p, err := strconv.ParseInt(msg.Metadata.Get(DefaultPartitionMetadata), 10, 32)
	if err != nil {
		tb.Fatalf("message %s: received_partition: %v", msg.UUID, err)
	}
	return int32(p)
}

// rawClient is a franz-go client, independent of the code under test, for
// producing and inspecting records the way other Kafka clients see them.
func rawClient(tb testing.TB, cfg Config, opts ...kgo.Opt) *kgo.Client {
	tb.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(cfg.Brokers...)}, opts...)...)
	if err != nil {
		tb.Fatalf("kgo client: %v", err)
	}
	tb.Cleanup(cl.Close)
	return cl
}

// rawRecords reads the first n records of topic as franz-go sees them.
func rawRecords(tb testing.TB, ctx context.Context, cfg Config, topic string, n int) []*kgo.Record {
	tb.Helper()
	cl := rawClient(tb, cfg, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	var recs []*kgo.Record
	for len(recs) < n {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			tb.Fatalf("read %d of %d raw records: %v", len(recs), n, err)
		}
		recs = append(recs, fs.Records()...)
	}
	return recs
}
