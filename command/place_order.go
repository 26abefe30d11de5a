package command

import (
	"context"
	"fmt"
	"strconv"
	"sync"
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
	keys     KeyStore // nil: keys only derive the order id
	locks    keyLocks
	marks    sync.WaitGroup // marks written after their answers
}

// NewPlaceOrderHandler returns a handler accepting orders of 1..maxCount
// pizzas (DefaultMaxCount if maxCount < 1).
func NewPlaceOrderHandler(pub Publisher, codec *events.Codec, maxCount int) *PlaceOrderHandler {
	if maxCount < 1 {
		maxCount = DefaultMaxCount
	}
	return &PlaceOrderHandler{pub: pub, codec: codec, maxCount: maxCount, now: time.Now}
}

// RememberKeys makes Idempotency-Keys last: a retry is answered from
// keys without appending, and a key reused with another count is refused.
// Call it before the handler is used.
func (h *PlaceOrderHandler) RememberKeys(keys KeyStore) *PlaceOrderHandler {
	h.keys = keys
	return h
}

// Handle places the order. With an idempotency key the order id derives from
// the key and the request, so even a retry that finds no record of the key
// (another node, a store lost) appends an event with the same event id,
// which every consumer deduplicates.
//
// With a KeyStore a new key is reserved (order id, time) durably before the
// append: that commit is the only one the request waits for. The mark that
// the append happened is written after the answer, while the key stays
// locked, so the next request with the key finds it. A retry of an
// appended key appends nothing, commits nothing and gets the first answer.
// A retry of a key reserved but not known to be appended (the first attempt
// failed, or the process died before the mark landed) appends the
// identical event again, which consumers drop as a duplicate, and gets the
// same answer. Requests with one key are serialised within the process.
// (The package documentation gives the argument.)
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
	if cmd.IdempotencyKey == "" || h.keys == nil {
		return h.append(ctx, o)
	}
	unlock := h.locks.lock(cmd.IdempotencyKey)
	placed, marking, err := h.handleKeyed(ctx, cmd.IdempotencyKey, o)
	if marking == nil {
		unlock()
		return placed, err
	}
	h.marks.Add(1)
	go func() {
		defer h.marks.Done()
		defer unlock()
		// If this fails the order stands; a retry appends a duplicate
		// that consumers drop, and is answered the same.
		_ = h.markAppended(cmd.IdempotencyKey, *marking)
	}()
	return placed, nil
}

// Close waits for the marks still being written after their answers, so
// that the key store can be closed behind them. It takes no new work away:
// call it once requests have stopped.
func (h *PlaceOrderHandler) Close() error {
	h.marks.Wait()
	return nil
}

// handleKeyed places o under key, which the caller holds locked. It
// returns the record to mark appended once the answer is on its way, or
// nil if there is nothing to mark.
func (h *PlaceOrderHandler) handleKeyed(ctx context.Context, key string, o order) (Placed, *keyRecord, error) {
	held, err := h.held(key, o)
	if err != nil {
		return Placed{}, nil, fmt.Errorf("%w: recording the idempotency key: %v", ErrUnavailable, err)
	}
	if held.Count != o.count {
		return Placed{}, nil, fmt.Errorf("%w: this key was first used for an order of %d pizzas, not %d; use a new key for a new order",
			ErrIdempotencyKeyReused, held.Count, o.count)
	}
	first := order{id: held.OrderID, count: held.Count, placedAt: time.Unix(0, held.PlacedAt).UTC()}
	if held.Appended {
		return Placed{OrderID: first.id, PlacedAt: first.placedAt}, nil, nil
	}
	placed, err := h.append(ctx, first)
	if err != nil {
		return Placed{}, nil, err
	}
	return placed, &held, nil
}

// append writes o's OrderPlaced to the log.
func (h *PlaceOrderHandler) append(ctx context.Context, o order) (Placed, error) {
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
