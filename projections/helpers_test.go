package projections

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/pizzeria/pizzeria/command"
	"github.com/pizzeria/pizzeria/events"
	"github.com/pizzeria/pizzeria/internal/boltstore"
)

var codec = events.NewCodec(events.DefaultTopics())

// MustOpen opens a store in a fresh temporary directory.
func MustOpen(tb testing.TB) *Store {
	tb.Helper()
	s, err := Open(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// logged is a message as it sits in the log: its topic and bytes.
type logged struct {
	topic string
	msg   *message.Message
}

// kitchen runs the real command-side handlers over an order and returns
// every event the whole pipeline writes for it, in pipeline order.
func kitchen(tb testing.TB, orderID string, count int, placedAt time.Time) []logged {
	tb.Helper()
	o := events.Event{ID: events.OrderPlacedID(orderID), OccurredAt: placedAt, CorrelationID: orderID,
		Body: &events.OrderPlaced{OrderID: orderID, Count: count, PlacedAt: placedAt}}
	m, err := codec.Encode(o)
	if err != nil {
		tb.Fatal(err)
	}
	out := []logged{{codec.Topics().Orders, m}}
	pizzas, err := command.NewFanOut(codec).Handle(m)
	if err != nil {
		tb.Fatal(err)
	}
	ledger, err := boltstore.OpenLedger(filepath.Join(tb.TempDir(), "ledger.db"))
	if err != nil {
		tb.Fatal(err)
	}
	defer ledger.Close()
	completion := command.NewCompletion(codec, ledger)
	for _, p := range pizzas {
		out = append(out, logged{codec.Topics().Pizza, p})
		for _, s := range events.WorkerStages {
			w := command.NewStageWorker(s, codec)
			next, err := w.Handle(p)
			if err != nil {
				tb.Fatal(err)
			}
			p = next[0]
			out = append(out, logged{w.OutputTopic(), p})
		}
		done, err := completion.Handle(p)
		if err != nil {
			tb.Fatal(err)
		}
		for _, d := range done {
			out = append(out, logged{codec.Topics().Orders, d})
		}
	}
	return out
}

func decode(tb testing.TB, l logged) events.Event {
	tb.Helper()
	e, err := codec.Decode(l.topic, l.msg)
	if err != nil {
		tb.Fatal(err)
	}
	return e
}
