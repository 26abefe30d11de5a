package testkit

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/pizzeria/pizzeria/events"
	"github.com/pizzeria/pizzeria/internal/boltstore"
	"github.com/pizzeria/pizzeria/kitchen"
)

// Logged is a message as it sits in the log: its topic and bytes.
type Logged struct {
	Topic string
	Msg   *message.Message
}

// Cook runs an order of count pizzas through the real kitchen (fan-out, the
// four stages, completion over a real ledger) and returns every event the
// pipeline writes for it, in pipeline order: OrderPlaced, then each pizza
// through every stage, then OrderCompleted.
func Cook(tb testing.TB, codec *events.Codec, orderID string, count int, placedAt time.Time) []Logged {
	tb.Helper()
	placed, err := codec.Encode(events.Event{ID: events.OrderPlacedID(orderID), OccurredAt: placedAt, CorrelationID: orderID,
		Body: &events.OrderPlaced{OrderID: orderID, Count: count, PlacedAt: placedAt}})
	if err != nil {
		tb.Fatal(err)
	}
	return CookPlaced(tb, codec, placed)
}

// CookPlaced is Cook for an OrderPlaced message already written.
func CookPlaced(tb testing.TB, codec *events.Codec, placed *message.Message) []Logged {
	tb.Helper()
	ledger, err := boltstore.OpenLedger(filepath.Join(tb.TempDir(), "ledger.db"))
	if err != nil {
		tb.Fatal(err)
	}
	defer ledger.Close()
	step := func(r kitchen.Reactor, in *message.Message) []*message.Message {
		out, err := kitchen.Bind(codec, r).Handle(in)
		if err != nil {
			tb.Fatal(err)
		}
		return out
	}
	topics := codec.Topics()
	log := []Logged{{topics.Orders, placed}}
	for _, p := range step(kitchen.FanOut{}, placed) {
		log = append(log, Logged{topics.Pizza, p})
		for _, s := range events.WorkerStages {
			p = step(kitchen.NewStage(s), p)[0]
			log = append(log, Logged{topics.ForStage(s), p})
		}
		for _, done := range step(kitchen.NewCompletion(ledger), p) {
			log = append(log, Logged{topics.Orders, done})
		}
	}
	return log
}

// DecodeAll decodes messages read from topic, failing the test on any.
func DecodeAll(tb testing.TB, codec *events.Codec, topic string, msgs []*message.Message) []events.Event {
	tb.Helper()
	out := make([]events.Event, len(msgs))
	for i, m := range msgs {
		e, err := codec.Decode(topic, m)
		if err != nil {
			tb.Fatal(err)
		}
		out[i] = e
	}
	return out
}
