package projections

import (
	"testing"
	"time"

	"github.com/pizzeria/pizzeria/events"
	"github.com/pizzeria/pizzeria/internal/testkit"
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

type logged = testkit.Logged

// kitchen runs the real kitchen over an order and returns every event the
// whole pipeline writes for it, in pipeline order.
func kitchen(tb testing.TB, orderID string, count int, placedAt time.Time) []logged {
	tb.Helper()
	return testkit.Cook(tb, codec, orderID, count, placedAt)
}

func decode(tb testing.TB, l logged) events.Event {
	tb.Helper()
	e, err := codec.Decode(l.Topic, l.Msg)
	if err != nil {
		tb.Fatal(err)
	}
	return e
}
