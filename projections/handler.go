package projections

import (
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/pizzeria/pizzeria/events"
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
// only after the event is committed to the views, so a crash redelivers it
// and the applied-id record makes the second application a no-op.
// Undecodable input returns an error wrapping events.ErrInvalidEvent.
func (p *Projector) Handler(topic string) message.NoPublishHandlerFunc {
	return func(msg *message.Message) error {
		e, err := p.codec.Decode(topic, msg)
		if err != nil {
			return err
		}
		return p.store.Apply(e)
	}
}
