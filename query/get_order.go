package query

import (
	"context"
	"errors"
	"time"
)

// MaxWait bounds how long a GetOrder may wait for completion.
const MaxWait = 60 * time.Second

// GetOrder asks for one order. With Wait > 0 the answer is held until the
// order is completed or Wait has passed (read-your-writes without polling).
type GetOrder struct {
	ID   string
	Wait time.Duration
}

// GetOrderHandler answers GetOrder. Safe for concurrent use.
type GetOrderHandler struct {
	views   Views
	watcher Watcher
}

// NewGetOrderHandler returns a handler over views, woken by watcher.
func NewGetOrderHandler(views Views, watcher Watcher) *GetOrderHandler {
	return &GetOrderHandler{views: views, watcher: watcher}
}

// Handle returns the order view, or ErrOrderNotFound if it is still unknown
// when the wait ends.
func (h *GetOrderHandler) Handle(ctx context.Context, q GetOrder) (Order, error) {
	if q.Wait <= 0 {
		return h.views.Order(ctx, q.ID)
	}
	ctx, cancel := context.WithTimeout(ctx, min(q.Wait, MaxWait))
	defer cancel()
	// Watch before reading, so a completion between the read and the wait
	// is not missed.
	completed, stop := h.watcher.WatchCompletion(q.ID)
	defer stop()
	o, err := h.views.Order(ctx, q.ID)
	if (err == nil && o.Status == StatusCompleted) || (err != nil && !errors.Is(err, ErrOrderNotFound)) {
		return o, err
	}
	select {
	case <-completed:
	case <-ctx.Done():
		// The time is up: answer with what there is.
	}
	return h.views.Order(context.WithoutCancel(ctx), q.ID)
}
