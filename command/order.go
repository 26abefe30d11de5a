package command

import (
	"fmt"
	"time"
	"unicode"

	"github.com/pizzeria/pizzeria/events"
)

// DefaultMaxCount is the largest order accepted unless configured otherwise.
const DefaultMaxCount = 100

const maxKeyLength = 255

// Order is an order about to be placed. It cannot be built invalid.
type order struct {
	id       string
	count    int
	placedAt time.Time
}

func newOrder(id string, count, maxCount int, placedAt time.Time) (order, error) {
	if count < 1 || count > maxCount {
		return order{}, fmt.Errorf("%w: %d pizzas; an order has 1 to %d", ErrInvalidCount, count, maxCount)
	}
	return order{id: id, count: count, placedAt: placedAt.UTC()}, nil
}

// placed is the one event that records the order.
func (o order) placed() events.Event {
	return events.Event{
		ID:            events.OrderPlacedID(o.id),
		OccurredAt:    o.placedAt,
		CorrelationID: o.id,
		Body:          &events.OrderPlaced{OrderID: o.id, Count: o.count, PlacedAt: o.placedAt},
	}
}

func checkIdempotencyKey(key string) error {
	if len(key) > maxKeyLength {
		return fmt.Errorf("%w: longer than %d bytes", ErrInvalidIdempotencyKey, maxKeyLength)
	}
	for _, r := range key {
		if r > unicode.MaxASCII || !unicode.IsPrint(r) {
			return fmt.Errorf("%w: only printable ASCII is allowed", ErrInvalidIdempotencyKey)
		}
	}
	return nil
}
