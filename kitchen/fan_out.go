package kitchen

import "github.com/pizzeria/pizzeria/events"

// FanOut is the order manager's first half: it turns each OrderPlaced into
// one PizzaOrdered per pizza. Pizza k of order o always gets the same pizza
// id, event id and bytes, so a redelivered OrderPlaced produces exact
// duplicates that every consumer drops. Stateless; any number may share a
// consumer group.
type FanOut struct{}

// Input is the orders topic; Output the pizza topic.
func (FanOut) Input(t events.Topics) string  { return t.Orders }
func (FanOut) Output(t events.Topics) string { return t.Pizza }

// React fans an OrderPlaced out; OrderCompleted events on the same topic
// cause nothing.
func (FanOut) React(in events.Event) ([]events.Event, error) {
	placed, ok := in.Body.(*events.OrderPlaced)
	if !ok {
		return nil, nil
	}
	out := make([]events.Event, placed.Count)
	for k := range placed.Count {
		p := events.Pizza{OrderID: placed.OrderID, PizzaID: events.PizzaID(placed.OrderID, k)}
		out[k] = events.Event{
			ID:            events.PizzaEventID(events.StageOrdered, p.PizzaID),
			OccurredAt:    in.OccurredAt,
			CorrelationID: placed.OrderID,
			CausationID:   in.ID,
			OrderCount:    placed.Count,
			Body:          &events.PizzaEvent{Stage: events.StageOrdered, Pizza: p},
		}
	}
	return out, nil
}
