package projections

import (
	"strconv"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/pizzeria/pizzeria/events"
	"github.com/pizzeria/pizzeria/internal/boltstore"
)

// Projector feeds messages from the log into a Store.
type Projector struct {
	store *Store
	codec *events.Codec
}

// NewProjector returns a projector into store.
func NewProjector(store *Store, codec *events.Codec) *Projector {
	return &Projector{store: store, codec: codec}
}

// Handler returns the watermill handler for messages from topic. It acks
// only after the event is committed to the views together with its position
// (topic, partition, offset), so a crash redelivers it and the position
// makes the second application a no-op. Many messages may be in flight at
// once: their applies share transactions. Undecodable input returns an
// error wrapping events.ErrInvalidEvent.
func (p *Projector) Handler(topic string) message.NoPublishHandlerFunc {
	return func(msg *message.Message) error {
		e, err := p.codec.Decode(topic, msg)
		if err != nil {
			return err
		}
		if pos, ok := positionOf(topic, msg); ok {
			return p.store.ApplyAt(pos, e)
		}
		return p.store.Apply(e)
	}
}

// positionOf reads where a transport says msg was read from.
func positionOf(topic string, msg *message.Message) (boltstore.Position, bool) {
	part, err1 := strconv.ParseInt(msg.Metadata.Get(events.MetaReceivedPartition), 10, 32)
	off, err2 := strconv.ParseInt(msg.Metadata.Get(events.MetaReceivedOffset), 10, 64)
	if err1 != nil || err2 != nil || part < 0 || off < 0 {
		return boltstore.Position{}, false
	}
	return boltstore.Position{Topic: topic, Partition: int32(part), Offset: off}, true
}
