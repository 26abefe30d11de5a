// Package query answers questions about the kitchen from the read models.
// It never writes; the projections keep the views current.
package query

import (
	"context"
	"errors"
	"time"
)

var (
	// ErrOrderNotFound: no event about the order has been seen (yet).
	ErrOrderNotFound = errors.New("order not found")
	// ErrInvalidCursor: a pagination cursor was not one this service issued.
	ErrInvalidCursor = errors.New("invalid cursor")
)

// Status is where an order stands.
type Status string

const (
	StatusPlaced     Status = "placed"      // accepted, no pizza started
	StatusInProgress Status = "in_progress" // pizzas in the kitchen
	StatusCompleted  Status = "completed"   // every pizza done
)

// Order is the order view. Times come from events, never from a reader's
// clock, so a rebuilt view is identical to the live one.
type Order struct {
	ID          string
	Count       int // 0 when the order was placed elsewhere (original services)
	Status      Status
	PlacedAt    time.Time  // zero when unknown
	CompletedAt *time.Time // nil until completed
	Pizzas      []Pizza    // known so far, by pizza id
}

// Pizza is one pizza of an order view.
type Pizza struct {
	ID                            string
	Sauce, Cheese, Meats, Veggies string
	Stage                         string // ordered, sauce, cheese, meats, done
}

// OrderPage is one page of recent orders, newest first. Next is empty on the
// last page.
type OrderPage struct {
	Orders []Order
	Next   string
}

// Views is what queries need from the read models.
type Views interface {
	Order(ctx context.Context, id string) (Order, error)
	Orders(ctx context.Context, cursor string, limit int) (OrderPage, error)
	CheeseCounts(ctx context.Context) (map[string]int, error)
}

// Watcher signals an order's completion. WatchCompletion returns a channel
// closed once the order's view is completed, and a function to stop
// watching. Waiting readers wake once, not on every pizza's progress.
type Watcher interface {
	WatchCompletion(orderID string) (completed <-chan struct{}, stop func())
}

// ChangeWatcher signals every change of an order's view: Watch returns a
// channel closed at the next change, and a function to stop watching. Live
// streams use it; waiting reads use Watcher.
type ChangeWatcher interface {
	Watch(orderID string) (changed <-chan struct{}, stop func())
}
