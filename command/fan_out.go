package command

import (
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/pizzeria/pizzeria/events"
)

// FanOut is the order manager's first half: it turns each OrderPlaced into
// one PizzaOrdered per pizza. Pizza k of order o always gets the same
// pizza id, event id and bytes, so a redelivered OrderPlaced produces exact
// duplicates that every consumer drops. Stateless; any number may share a
// consumer group.
type FanOut struct{ codec *events.Codec }

// NewFanOut returns the fan-out handler.
func NewFanOut(codec *events.Codec) *FanOut { return &FanOut{codec: codec} }

// InputTopic is the orders topic; OutputTopic the pizza topic.
func (f *FanOut) InputTopic() string  { return f.codec.Topics().Orders }
func (f *FanOut) OutputTopic() string { return f.codec.Topics().Pizza }

// Handle is a watermill handler. OrderCompleted events on the same topic
// are ignored.
func (f *FanOut) Handle(msg *message.Message) ([]*message.Message, error) {
	in, err := f.codec.Decode(f.InputTopic(), msg)
	if err != nil {
		return nil, err
	}
	placed, ok := in.Body.(*events.OrderPlaced)
	if !ok {
		return nil, nil
	}
	out := make([]*message.Message, 0, placed.Count)
	for k := range placed.Count {
		p := events.Pizza{OrderID: placed.OrderID, PizzaID: events.PizzaID(placed.OrderID, k)}
		m, err := f.codec.Encode(events.Event{
			ID:            events.PizzaEventID(events.StageOrdered, p.PizzaID),
			OccurredAt:    in.OccurredAt,
			CorrelationID: placed.OrderID,
			CausationID:   in.ID,
			OrderCount:    placed.Count,
			Body:          &events.PizzaEvent{Stage: events.StageOrdered, Pizza: p},
		})
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}
