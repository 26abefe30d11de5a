package deadletter

import (
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/pizzeria/pizzeria/events"
)

// Poisoned is the dead letter for msg, which handler (reading topic under
// the consumer group subscriber) can never handle, for reason: a copy of
// msg with the metadata List and Redrive read, including the partition and
// offset it was read from, and stamped with when it failed (now).
func Poisoned(msg *message.Message, topic, handler, subscriber, reason string, now time.Time) *message.Message {
	letter := msg.Copy()
	letter.Metadata.Set(metaReason, reason)
	letter.Metadata.Set(metaTopic, topic)
	letter.Metadata.Set(metaHandler, handler)
	letter.Metadata.Set(metaSubscriber, subscriber)
	letter.Metadata.Set(MetaSourcePartition, msg.Metadata.Get(events.MetaReceivedPartition))
	letter.Metadata.Set(MetaSourceOffset, msg.Metadata.Get(events.MetaReceivedOffset))
	letter.Metadata.Set(MetaPoisonedAt, now.UTC().Format(time.RFC3339Nano))
	letter.SetContext(msg.Context())
	return letter
}
