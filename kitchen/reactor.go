package kitchen

import (
	"fmt"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/pizzeria/pizzeria/events"
)

// A Reactor is one step of the kitchen.
type Reactor interface {
	// Input is the topic the reactor consumes; Output the one it writes.
	Input(events.Topics) string
	Output(events.Topics) string
	// React returns the events in causes. An error means in could not be
	// handled now; one wrapping events.ErrInvalidEvent means never.
	React(in events.Event) ([]events.Event, error)
}

// Handler is a Reactor bound to the log: a watermill handler.
type Handler struct {
	r       Reactor
	codec   *events.Codec
	in, out string
}

// Bind returns the watermill handler that runs r on the topics of codec.
func Bind(codec *events.Codec, r Reactor) *Handler {
	return &Handler{r: r, codec: codec, in: r.Input(codec.Topics()), out: r.Output(codec.Topics())}
}

// InputTopic is the topic the handler consumes.
func (h *Handler) InputTopic() string { return h.in }

// OutputTopic is the topic the handler produces to.
func (h *Handler) OutputTopic() string { return h.out }

// Handle decodes msg, reacts to it and encodes what it causes. Undecodable
// input returns an error wrapping events.ErrInvalidEvent, for the
// dead-letter topic.
func (h *Handler) Handle(msg *message.Message) ([]*message.Message, error) {
	in, err := h.codec.Decode(h.in, msg)
	if err != nil {
		return nil, err
	}
	caused, err := h.r.React(in)
	if err != nil || len(caused) == 0 {
		return nil, err
	}
	out := make([]*message.Message, len(caused))
	for i, e := range caused {
		if out[i], err = h.codec.Encode(e); err != nil {
			return nil, fmt.Errorf("encoding %s %s: %w", e.Type(), e.ID, err)
		}
	}
	return out, nil
}
