package api

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/pizzeria/pizzeria/query"
)

// orderAppearWait is how long a stream of an order not yet in the views
// waits for it before answering 404: POST /orders answers once the order is
// in the log, and the views catch up moments later.
const orderAppearWait = 10 * time.Second

// orderEvents is GET /orders/:id/events: the order view each time it
// changes, as "order" events, then the stream ends once the order is
// completed. Every event holds the whole view, so a client that reconnects
// (with Last-Event-ID or without) gets the latest state and misses nothing
// it could have had; an unchanged view is not sent again.
func (s *server) orderEvents(c *gin.Context) {
	id, err := orderID(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	watch := s.cfg.Watcher
	// Watch before reading, so no change between the read and the wait is lost.
	changed, stop := watch.Watch(id)
	o, err := s.cfg.Queries.GetOrder.Handle(ctx, query.GetOrder{ID: id})
	if errors.Is(err, query.ErrOrderNotFound) {
		o, err = s.awaitOrder(ctx, id, changed)
		stop()
		changed, stop = watch.Watch(id)
	}
	defer func() { stop() }()
	if err != nil {
		s.fail(c, err)
		return
	}
	st, ok := s.startSSE(c)
	if st != nil {
		defer s.doneSSE()
	}
	if !ok {
		return
	}
	last := c.GetHeader("Last-Event-ID")
	beat := s.beats.next() // taken again only after it fires: next locks
	for {
		if v := progress(o); v != last {
			last = v
			data, _ := json.Marshal(toOrderJSON(o)) // only strings, ints and times
			if st.event(v, "order", data) != nil {
				return
			}
		}
		if o.Status == query.StatusCompleted {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-beat:
			if st.heartbeat() != nil {
				return
			}
			beat = s.beats.next()
			continue
		case <-changed:
		}
		stop()
		changed, stop = watch.Watch(id)
		if o, err = s.cfg.Queries.GetOrder.Handle(ctx, query.GetOrder{ID: id}); err != nil {
			if ctx.Err() == nil {
				s.log.Error("order stream: reading the view", "order_id", id, "error", err)
			}
			return
		}
	}
}

// awaitOrder waits up to orderAppearWait for an order to reach the views.
func (s *server) awaitOrder(ctx context.Context, id string, changed <-chan struct{}) (query.Order, error) {
	t := time.NewTimer(orderAppearWait)
	defer t.Stop()
	select {
	case <-changed:
		return s.cfg.Queries.GetOrder.Handle(ctx, query.GetOrder{ID: id})
	case <-t.C:
		return query.Order{}, query.ErrOrderNotFound
	case <-ctx.Done():
		return query.Order{}, ctx.Err()
	}
}

// progress is the event id of an order view: how far its pizzas have come
// plus one once completed. It only grows, and equal ids mean equal views.
func progress(o query.Order) string {
	n := o.Count
	for _, p := range o.Pizzas {
		n += 1 + stageRank(p.Stage)
	}
	if o.Status == query.StatusCompleted {
		n++
	}
	return strconv.Itoa(n)
}

func stageRank(stage string) int {
	switch stage {
	case "sauce":
		return 1
	case "cheese":
		return 2
	case "meats":
		return 3
	case "done", "veggies":
		return 4
	}
	return 0
}
