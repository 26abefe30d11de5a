package deadletter

import (
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/pizzeria/pizzeria/events"
)

// Metadata a dead letter carries besides watermill's poison-queue keys
// (reason_poisoned, topic_poisoned, handler_poisoned).
const (
	MetaSourcePartition = "partition_poisoned"
	MetaSourceOffset    = "offset_poisoned"
	// MetaPoisonedAt is when the message failed (RFC 3339): the age
	// retention goes by.
	MetaPoisonedAt = "poisoned_at"
	metaReason     = "reason_poisoned"
	metaTopic      = "topic_poisoned"
	metaHandler    = "handler_poisoned"
	metaSubscriber = "subscriber_poisoned"
)

// RecordSource is router middleware, placed just inside the poison queue:
// when handling fails it copies where the message was read from into
// metadata that survives publishing, so the dead letter can say which
// partition and offset it came from, and stamps when it failed.
func RecordSource(h message.HandlerFunc) message.HandlerFunc {
	return func(msg *message.Message) ([]*message.Message, error) {
		out, err := h(msg)
		if err != nil {
			msg.Metadata.Set(MetaSourcePartition, msg.Metadata.Get(events.MetaReceivedPartition))
			msg.Metadata.Set(MetaSourceOffset, msg.Metadata.Get(events.MetaReceivedOffset))
			msg.Metadata.Set(MetaPoisonedAt, time.Now().UTC().Format(time.RFC3339Nano))
		}
		return out, err
	}
}
