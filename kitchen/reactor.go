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

// A BatchReactor reacts to many events at once, so that a batch shares
// one write of the reactor's state. It returns, per event, the events it
// causes or why it could not be handled.
type BatchReactor interface {
	Reactor
	ReactAll(in []events.Event) ([][]events.Event, []error)
}

// Handle decodes msg, reacts to it and encodes what it causes. Undecodable
// input returns an error wrapping events.ErrInvalidEvent, for the
// dead-letter topic.
func (h *Handler) Handle(msg *message.Message) ([]*message.Message, error) {
	out, errs := h.HandleBatch([]*message.Message{msg})
	return out[0], errs[0]
}

// HandleBatch handles msgs together: each is decoded, all react at once
// (in one write of the reactor's state if it is a BatchReactor), and what
// each causes is encoded. It returns, per message, its outputs or why it
// failed.
func (h *Handler) HandleBatch(msgs []*message.Message) ([][]*message.Message, []error) {
	outs := make([][]*message.Message, len(msgs))
	errs := make([]error, len(msgs))
	ins := make([]events.Event, 0, len(msgs))
	from := make([]int, 0, len(msgs)) // ins[j] was decoded from msgs[from[j]]
	for i, msg := range msgs {
		in, err := h.codec.Decode(h.in, msg)
		if err != nil {
			errs[i] = err
			continue
		}
		ins = append(ins, in)
		from = append(from, i)
	}
	caused, failed := h.reactAll(ins)
	for j, i := range from {
		if errs[i] = failed[j]; errs[i] != nil || len(caused[j]) == 0 {
			continue
		}
		out := make([]*message.Message, len(caused[j]))
		for k, e := range caused[j] {
			m, err := h.codec.Encode(e)
			if err != nil {
				errs[i] = fmt.Errorf("encoding %s %s: %w", e.Type(), e.ID, err)
				out = nil
				break
			}
			out[k] = m
		}
		outs[i] = out
	}
	return outs, errs
}

func (h *Handler) reactAll(ins []events.Event) ([][]events.Event, []error) {
	if b, ok := h.r.(BatchReactor); ok {
		return b.ReactAll(ins)
	}
	caused := make([][]events.Event, len(ins))
	errs := make([]error, len(ins))
	for i, in := range ins {
		caused[i], errs[i] = h.r.React(in)
	}
	return caused, errs
}
