package command

import (
	"fmt"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/pizzeria/pizzeria/events"
)

// CompletionLedger remembers which pizzas of each order are done. It must be
// durable and idempotent: recording a pizza twice changes nothing.
type CompletionLedger interface {
	// RecordDone notes pizzaID of orderID (an order of count pizzas) as done.
	// complete reports whether all count pizzas are now done; decisive
	// whether pizzaID is the pizza that completed the order.
	RecordDone(orderID, pizzaID string, count int) (complete, decisive bool, err error)
}

// Completion is the order manager's second half: it watches finished pizzas
// and emits OrderCompleted once the last pizza of an order is done.
//
// The ledger is written before OrderCompleted is published; if the process
// dies in between, the finishing pizza is redelivered, is still the decisive
// one, and OrderCompleted is published again with the same event id. Other
// late duplicates emit nothing. Pizza events carry their order's size, so
// any instance can decide without seeing the orders topic.
type Completion struct {
	codec  *events.Codec
	ledger CompletionLedger
}

// NewCompletion returns the completion handler over ledger.
func NewCompletion(codec *events.Codec, ledger CompletionLedger) *Completion {
	return &Completion{codec: codec, ledger: ledger}
}

// InputTopic is the finished-pizza topic; OutputTopic the orders topic.
func (c *Completion) InputTopic() string  { return c.codec.Topics().Veggies }
func (c *Completion) OutputTopic() string { return c.codec.Topics().Orders }

// Handle is a watermill handler. Pizzas of unknown size (from the original
// services, which have no OrderPlaced here) never complete an order.
func (c *Completion) Handle(msg *message.Message) ([]*message.Message, error) {
	in, err := c.codec.Decode(c.InputTopic(), msg)
	if err != nil {
		return nil, err
	}
	if in.OrderCount == 0 {
		return nil, nil
	}
	p := in.Body.(*events.PizzaEvent).Pizza
	complete, decisive, err := c.ledger.RecordDone(p.OrderID, p.PizzaID, in.OrderCount)
	if err != nil {
		return nil, fmt.Errorf("recording pizza %s done: %w", p.PizzaID, err)
	}
	if !complete || !decisive {
		return nil, nil
	}
	m, err := c.codec.Encode(events.Event{
		ID:            events.OrderCompletedID(p.OrderID),
		OccurredAt:    in.OccurredAt,
		CorrelationID: p.OrderID,
		CausationID:   in.ID,
		Body:          &events.OrderCompleted{OrderID: p.OrderID, CompletedAt: in.OccurredAt},
	})
	if err != nil {
		return nil, err
	}
	return []*message.Message{m}, nil
}
