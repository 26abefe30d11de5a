package command

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"

	"github.com/pizzeria/pizzeria/events"
)

// Publisher appends messages to a topic of the event log. Publish returns
// only once the log has durably accepted them.
type Publisher interface {
	Publish(topic string, msgs ...*message.Message) error
}

// PlaceOrder asks for Count pizzas. A non-empty IdempotencyKey makes a
// retried request name the same order.
type PlaceOrder struct {
	Count          int
	IdempotencyKey string
}

// Placed is the result of placing an order.
type Placed struct {
	OrderID  string
	PlacedAt time.Time
}

// PlaceOrderHandler validates an order and appends exactly one OrderPlaced,
// so an order exists whole or not at all. Safe for concurrent use.
type PlaceOrderHandler struct {
	pub      Publisher
	codec    *events.Codec
	maxCount int
	now      func() time.Time
}

// NewPlaceOrderHandler returns a handler accepting orders of 1..maxCount
// pizzas (DefaultMaxCount if maxCount < 1).
func NewPlaceOrderHandler(pub Publisher, codec *events.Codec, maxCount int) *PlaceOrderHandler {
	if maxCount < 1 {
		maxCount = DefaultMaxCount
	}
	return &PlaceOrderHandler{pub: pub, codec: codec, maxCount: maxCount, now: time.Now}
}

// Handle places the order. With an idempotency key the order id derives from
// the key and the request, so a retry (to any node, across a crash) appends
// an event with the same event id, which every consumer deduplicates; the
// same key with a different count names a different order.
//
// The append is not cancelled with ctx: once started it completes or fails
// on its own, so a client that hangs up never leaves a half-known order.
func (h *PlaceOrderHandler) Handle(ctx context.Context, cmd PlaceOrder) (Placed, error) {
	if err := checkIdempotencyKey(cmd.IdempotencyKey); err != nil {
		return Placed{}, err
	}
	id := uuid.NewString()
	if cmd.IdempotencyKey != "" {
		id = events.OrderIDForKey(cmd.IdempotencyKey + "/" + strconv.Itoa(cmd.Count))
	}
	o, err := newOrder(id, cmd.Count, h.maxCount, h.now())
	if err != nil {
		return Placed{}, err
	}
	e := o.placed()
	msg, err := h.codec.Encode(e)
	if err != nil {
		return Placed{}, err
	}
	msg.SetContext(context.WithoutCancel(ctx)) // carries the request's trace, not its cancellation
	if err := h.pub.Publish(e.Topic(h.codec.Topics()), msg); err != nil {
		return Placed{}, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	return Placed{OrderID: o.id, PlacedAt: o.placedAt}, nil
}
