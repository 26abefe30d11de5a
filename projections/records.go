package projections

import (
	"encoding/binary"
	"math"
	"time"

	"github.com/pizzeria/pizzeria/events"
	"github.com/pizzeria/pizzeria/query"
)

// Bucket layout of a views file. Every value is derived from events only.
var (
	bucketOrders  = []byte("orders")  // order id → orderRecord
	bucketPizzas  = []byte("pizzas")  // order id, 0x00, pizza id → pizzaRecord
	bucketIndex   = []byte("index")   // newest-first key (see indexKey) → nothing
	bucketCheese  = []byte("cheese")  // cheese → count, 8 bytes big-endian
	bucketApplied = []byte("applied") // event id → nothing: each event applies once
	allBuckets    = [][]byte{bucketOrders, bucketPizzas, bucketIndex, bucketCheese, bucketApplied}
)

type orderRecord struct {
	Count       int        `json:"count"`
	PlacedAt    time.Time  `json:"placed_at"`
	CompletedAt *time.Time `json:"completed_at,omitempty"`
}

type pizzaRecord struct {
	Sauce   string       `json:"sauce"`
	Cheese  string       `json:"cheese"`
	Meats   string       `json:"meats"`
	Veggies string       `json:"veggies"`
	Stage   events.Stage `json:"stage"`
}

// status follows from the order and its pizzas: completed once
// OrderCompleted is seen and every pizza is done (the two travel on
// different topics, so either may arrive first), in progress once any pizza
// is known.
func (o orderRecord) status(known, done int) query.Status {
	switch {
	case o.CompletedAt != nil && o.Count > 0 && done >= o.Count:
		return query.StatusCompleted
	case known > 0:
		return query.StatusInProgress
	}
	return query.StatusPlaced
}

// view is the order view; done counts the pizzas through the last stage.
func (o orderRecord) view(id string, pizzas []query.Pizza, done int) query.Order {
	v := query.Order{ID: id, Count: o.Count, Status: o.status(len(pizzas), done), PlacedAt: o.PlacedAt, Pizzas: pizzas}
	if v.Status == query.StatusCompleted {
		v.CompletedAt = o.CompletedAt
	}
	return v
}

var stageLabels = [...]string{"ordered", "sauce", "cheese", "meats", "done"}

func (p pizzaRecord) view(id string) query.Pizza {
	return query.Pizza{ID: id, Sauce: p.Sauce, Cheese: p.Cheese, Meats: p.Meats, Veggies: p.Veggies, Stage: stageLabels[p.Stage]}
}

// indexKey orders orders newest first; orders of unknown time sort last.
func indexKey(placedAt time.Time, orderID string) []byte {
	var ns int64
	if !placedAt.IsZero() {
		ns = placedAt.UnixNano()
	}
	k := make([]byte, 8, 8+len(orderID))
	binary.BigEndian.PutUint64(k, uint64(math.MaxInt64-ns))
	return append(k, orderID...)
}

func pizzaKey(orderID, pizzaID string) []byte {
	return append(append([]byte(orderID), 0), pizzaID...)
}
