package deadletter

import (
	"context"
	"fmt"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/pizzeria/pizzeria/events"
)

// RedriveGroup is the consumer group whose offset on the dead-letter topic
// marks what has been re-driven. Never rename it.
const RedriveGroup = "pizzeria-dead-letter-redrive"

// idleTimeout bounds the wait for the next dead letter during a redrive.
const idleTimeout = 30 * time.Second

// Redrive puts pending dead letters back on the topics they came from, as
// they were before they failed, and acks each after its republish, so a
// crash mid-way re-drives the rest (and at most one twice, which consumers
// deduplicate). Every consumer of the source topic sees the message again;
// events are idempotent, so only the handler that failed does new work.
// Letters that fail again land in the dead-letter topic anew. A message that
// failed in several handlers (the views and a stage both read a topic) left
// one letter each; it is re-driven once, so letters do not multiply.
func Redrive(ctx context.Context, sub message.Subscriber, pub message.Publisher, topic string, pending int64) (int, error) {
	if pending <= 0 {
		return 0, nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	msgs, err := sub.Subscribe(ctx, topic)
	if err != nil {
		return 0, err
	}
	done := 0
	redriven := map[string]bool{} // source positions, at most pending of them
	for int64(done) < pending {
		select {
		case m, ok := <-msgs:
			if !ok {
				return done, fmt.Errorf("dead-letter subscription closed after %d of %d", done, pending)
			}
			source := m.Metadata.Get(metaTopic)
			pos := source + "/" + m.Metadata.Get(MetaSourcePartition) + "/" + m.Metadata.Get(MetaSourceOffset)
			if source == "" || redriven[pos] {
				m.Ack()
				done++
				continue
			}
			redriven[pos] = true
			if err := pub.Publish(source, restored(m)); err != nil {
				m.Nack()
				return done, fmt.Errorf("re-driving to %s: %w", source, err)
			}
			m.Ack()
			done++
		case <-time.After(idleTimeout):
			return done, fmt.Errorf("no dead letter arrived for %s after %d of %d", idleTimeout, done, pending)
		case <-ctx.Done():
			return done, ctx.Err()
		}
	}
	return done, nil
}

// restored is the message as it was before it failed.
func restored(m *message.Message) *message.Message {
	out := message.NewMessage(m.UUID, m.Payload)
	for k, v := range m.Metadata {
		switch k {
		case metaReason, metaTopic, metaHandler, metaSubscriber, MetaSourcePartition, MetaSourceOffset, MetaPoisonedAt,
			events.MetaReceivedPartition, events.MetaReceivedOffset:
		default:
			out.Metadata.Set(k, v)
		}
	}
	return out
}
