package api

import (
	"context"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/pizzeria/pizzeria/events"
	"github.com/pizzeria/pizzeria/internal/testkit"
)

// placedEvents is every message in the orders topic.
func (h *harness) placedEvents() []*message.Message {
	h.t.Helper()
	topic := codec.Topics().Orders
	var out []*message.Message
	err := h.log.ReadAll(context.Background(), topic, func(m *message.Message) error {
		out = append(out, m)
		return nil
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return out
}

// cook runs the real kitchen (fan-out, four stages, completion) over the
// order's OrderPlaced from the log and returns every event it produces, in
// pipeline order; OrderCompleted is last.
func (h *harness) cook(orderID string) []events.Event {
	h.t.Helper()
	var placed *message.Message
	for _, m := range h.placedEvents() {
		if m.Metadata.Get(events.MetaEventID) == events.OrderPlacedID(orderID) {
			placed = m
		}
	}
	if placed == nil {
		h.t.Fatalf("no OrderPlaced for %s in the log", orderID)
	}
	var out []events.Event
	for _, l := range testkit.CookPlaced(h.t, codec, placed) {
		out = append(out, h.decode(l.Topic, l.Msg))
	}
	return out
}

func (h *harness) decode(topic string, m *message.Message) events.Event {
	h.t.Helper()
	e, err := codec.Decode(topic, m)
	if err != nil {
		h.t.Fatal(err)
	}
	return e
}

func (h *harness) apply(evs ...events.Event) {
	h.t.Helper()
	if err := h.store.Apply(evs...); err != nil {
		h.t.Fatal(err)
	}
}

// cooked places an order and runs it through the whole kitchen.
func (h *harness) cooked(count int) string {
	h.t.Helper()
	id := h.order(count)
	h.apply(h.cook(id)...)
	return id
}
