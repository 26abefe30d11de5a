package kitchen

import (
	"fmt"

	"github.com/pizzeria/pizzeria/events"
)

// Done says that pizza PizzaID of order OrderID, an order of Count pizzas,
// is finished.
type Done struct {
	OrderID, PizzaID string
	Count            int
}

// Outcome is what recording a Done decided: Complete when every pizza of
// the order is now done; Decisive when this pizza is the one that completed
// it (recording it again is still decisive).
type Outcome struct{ Complete, Decisive bool }

// CompletionLedger remembers which pizzas of each order are done. It must be
// durable and idempotent: recording a pizza twice changes nothing. It gives
// one Outcome per Done, in order.
type CompletionLedger interface {
	RecordDone(done ...Done) ([]Outcome, error)
}

// Completion is the order manager's second half: it watches finished pizzas
// and emits OrderCompleted once the last pizza of an order is done.
//
// The ledger is written before OrderCompleted is published; if the process
// dies in between, the finishing pizza is redelivered, is still the decisive
// one, and OrderCompleted is published again with the same event id. Other
// late duplicates emit nothing. Pizza events carry their order's size, so
// any instance can decide without seeing the orders topic.
type Completion struct{ ledger CompletionLedger }

// NewCompletion returns the completion reactor over ledger.
func NewCompletion(ledger CompletionLedger) *Completion { return &Completion{ledger: ledger} }

// Input is the finished-pizza topic; Output the orders topic.
func (*Completion) Input(t events.Topics) string  { return t.Veggies }
func (*Completion) Output(t events.Topics) string { return t.Orders }

// React records a finished pizza. Pizzas of unknown size (from the original
// services, which have no OrderPlaced here) never complete an order.
func (c *Completion) React(in events.Event) ([]events.Event, error) {
	out, errs := c.ReactAll([]events.Event{in})
	return out[0], errs[0]
}

// ReactAll records the finished pizzas of ins in one write of the ledger.
func (c *Completion) ReactAll(ins []events.Event) ([][]events.Event, []error) {
	out := make([][]events.Event, len(ins))
	errs := make([]error, len(ins))
	var done []Done
	var from []int // done[j] is ins[from[j]]
	for i, in := range ins {
		if in.OrderCount == 0 {
			continue
		}
		p := in.Body.(*events.PizzaEvent).Pizza
		done = append(done, Done{OrderID: p.OrderID, PizzaID: p.PizzaID, Count: in.OrderCount})
		from = append(from, i)
	}
	if len(done) == 0 {
		return out, errs
	}
	outcomes, err := c.ledger.RecordDone(done...)
	if err != nil {
		for _, i := range from {
			errs[i] = fmt.Errorf("recording pizza %s done: %w", ins[i].Body.(*events.PizzaEvent).Pizza.PizzaID, err)
		}
		return out, errs
	}
	for j, i := range from {
		if outcomes[j].Complete && outcomes[j].Decisive {
			out[i] = []events.Event{orderCompleted(ins[i])}
		}
	}
	return out, errs
}

// orderCompleted is the OrderCompleted that the decisive pizza event in
// causes; its id depends on the order only.
func orderCompleted(in events.Event) events.Event {
	orderID := in.OrderID()
	return events.Event{
		ID:            events.OrderCompletedID(orderID),
		OccurredAt:    in.OccurredAt,
		CorrelationID: orderID,
		CausationID:   in.ID,
		Body:          &events.OrderCompleted{OrderID: orderID, CompletedAt: in.OccurredAt},
	}
}
