package boltlog_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/pizzeria/pizzeria/internal/boltlog"
)

// metaCorrelationID is the metadata the tests partition by, as the
// service does.
const metaCorrelationID = "correlation_id"

func correlationID(msg *message.Message) string {
	return msg.Metadata.Get(metaCorrelationID)
}

// testConfig is a config over a fresh file in tb's temp dir, partitioned by
// correlation id, with a short nack delay so redelivery tests run fast.
func testConfig(tb testing.TB) boltlog.Config {
	tb.Helper()
	return boltlog.Config{
		Path:         filepath.Join(tb.TempDir(), "data", "events.db"),
		NackDelay:    time.Millisecond,
		PartitionKey: correlationID,
	}
}

// mustOpen opens a log that is closed (and checked) when tb ends.
func mustOpen(tb testing.TB, cfg boltlog.Config) *boltlog.Log {
	tb.Helper()
	l, err := boltlog.Open(cfg)
	if err != nil {
		tb.Fatalf("open: %v", err)
	}
	tb.Cleanup(func() {
		if err := l.Close(); err != nil {
			tb.Errorf("close: %v", err)
		}
	})
	return l
}

// mustPublish publishes payloads to topic as one message each and returns
// the messages.
func mustPublish(tb testing.TB, pub message.Publisher, topic string, payloads ...string) []*message.Message {
	tb.Helper()
	msgs := make([]*message.Message, len(payloads))
	for i, p := range payloads {
		msgs[i] = message.NewMessage(p+"-id", []byte(p))
		if err := pub.Publish(topic, msgs[i]); err != nil {
			tb.Fatalf("publish %q: %v", p, err)
		}
	}
	return msgs
}

// receive waits for the next message or fails tb after timeout.
func receive(tb testing.TB, ch <-chan *message.Message, timeout time.Duration) *message.Message {
	tb.Helper()
	select {
	case msg, ok := <-ch:
		if !ok {
			tb.Fatal("channel closed, message expected")
		}
		return msg
	case <-time.After(timeout):
		tb.Fatal("no message within", timeout)
	}
	return nil
}

// expectNothing fails tb if a message arrives within d.
func expectNothing(tb testing.TB, ch <-chan *message.Message, d time.Duration) {
	tb.Helper()
	select {
	case msg, ok := <-ch:
		if ok {
			tb.Fatalf("unexpected message %s (%q)", msg.UUID, msg.Payload)
		}
	case <-time.After(d):
	}
}

// subscribe subscribes with a context cancelled when tb ends.
func subscribe(tb testing.TB, sub message.Subscriber, topic string) <-chan *message.Message {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	tb.Cleanup(cancel)
	ch, err := sub.Subscribe(ctx, topic)
	if err != nil {
		tb.Fatalf("subscribe %q: %v", topic, err)
	}
	return ch
}
