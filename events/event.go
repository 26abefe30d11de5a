package events

import "time"

// Type names an event. It travels in the event_type header.
type Type string

const (
	TypeOrderPlaced    Type = "OrderPlaced"
	TypeOrderCompleted Type = "OrderCompleted"
	TypePizzaOrdered   Type = "PizzaOrdered"
	TypeSauceAdded     Type = "SauceAdded"
	TypeCheeseAdded    Type = "CheeseAdded"
	TypeMeatsAdded     Type = "MeatsAdded"
	TypeVeggiesAdded   Type = "VeggiesAdded"
)

// Event is one immutable fact: its metadata and exactly one body.
type Event struct {
	ID            string    // event_id, unique and deterministic where the event is derived
	OccurredAt    time.Time // when the fact happened; zero if the writer did not say
	CorrelationID string    // the order the event belongs to
	CausationID   string    // the event that caused this one; empty for commands
	// OrderCount is the number of pizzas in the order, carried on pizza
	// events; 0 when unknown (a message from the original services).
	OrderCount int
	Body       Body
}

// Type returns the type of the event's body.
func (e Event) Type() Type { return e.Body.EventType() }

// OrderID returns the order the event belongs to.
func (e Event) OrderID() string { return e.Body.orderID() }

// Body is the event-specific part of an event: *OrderPlaced,
// *OrderCompleted or *PizzaEvent. The set is closed.
type Body interface {
	EventType() Type
	orderID() string
}

// OrderPlaced records an accepted order. It is the only event a command
// writes, so an order either exists whole or not at all.
type OrderPlaced struct {
	OrderID  string
	Count    int
	PlacedAt time.Time
}

// OrderCompleted records that every pizza of an order is done.
type OrderCompleted struct {
	OrderID     string
	CompletedAt time.Time
}

// PizzaEvent records that a pizza reached Stage; Pizza is its whole state.
type PizzaEvent struct {
	Stage Stage
	Pizza Pizza
}

// Pizza is a pizza's state. Empty strings mean the stage has not run yet.
type Pizza struct {
	OrderID string
	PizzaID string
	Sauce   string
	Cheese  string
	Meats   string
	Veggies string
}

func (*OrderPlaced) EventType() Type    { return TypeOrderPlaced }
func (*OrderCompleted) EventType() Type { return TypeOrderCompleted }
func (p *PizzaEvent) EventType() Type   { return p.Stage.EventType() }

func (b *OrderPlaced) orderID() string    { return b.OrderID }
func (b *OrderCompleted) orderID() string { return b.OrderID }
func (b *PizzaEvent) orderID() string     { return b.Pizza.OrderID }

// Topic returns the topic the event is published on.
func (e Event) Topic(t Topics) string {
	if p, ok := e.Body.(*PizzaEvent); ok {
		return t.ForStage(p.Stage)
	}
	return t.Orders
}
