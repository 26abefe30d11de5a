package query_test

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/pizzeria/pizzeria/events"
	"github.com/pizzeria/pizzeria/projections"
	"github.com/pizzeria/pizzeria/query"
)

var t0 = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

func mustStore(tb testing.TB) *projections.Store {
	tb.Helper()
	s, err := projections.Open(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func placed(id string, count int, at time.Time) events.Event {
	return events.Event{ID: events.OrderPlacedID(id), OccurredAt: at, CorrelationID: id,
		Body: &events.OrderPlaced{OrderID: id, Count: count, PlacedAt: at}}
}

func pizzaAt(s events.Stage, orderID string, k int, cheese string) events.Event {
	p := events.Pizza{OrderID: orderID, PizzaID: events.PizzaID(orderID, k), Sauce: "light", Cheese: cheese, Meats: "ham", Veggies: "olives"}
	return events.Event{ID: events.PizzaEventID(s, p.PizzaID), CorrelationID: orderID, OrderCount: 1,
		Body: &events.PizzaEvent{Stage: s, Pizza: p}}
}

func completed(id string, at time.Time) events.Event {
	return events.Event{ID: events.OrderCompletedID(id), CorrelationID: id,
		Body: &events.OrderCompleted{OrderID: id, CompletedAt: at}}
}

func TestCheeseReportSortsAndShares(t *testing.T) {
	s := mustStore(t)
	cheeses := []string{"extra", "none", "extra", "goat cheese", "none", "extra", "three cheese", "goat cheese"}
	for k, c := range cheeses {
		if err := s.Apply(pizzaAt(events.StageCheese, "o", k, c)); err != nil {
			t.Fatal(err)
		}
	}
	r, err := query.New(s, s.Notifier()).CheeseReport.Handle(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		cheese string
		count  int
	}{{"extra", 3}, {"goat cheese", 2}, {"none", 2}, {"three cheese", 1}}
	if r.Total != len(cheeses) || len(r.Cheeses) != len(want) {
		t.Fatalf("report %+v", r)
	}
	for i, w := range want {
		got := r.Cheeses[i]
		if got.Cheese != w.cheese || got.Count != w.count || math.Abs(got.Share-float64(w.count)/8) > 1e-9 {
			t.Fatalf("line %d = %+v, want %s %d (ties broken by name)", i, got, w.cheese, w.count)
		}
	}
}

func TestGetOrderWaitsForCompletion(t *testing.T) {
	s := mustStore(t)
	q := query.New(s, s.Notifier())
	ctx := context.Background()
	if _, err := q.GetOrder.Handle(ctx, query.GetOrder{ID: "o"}); !errors.Is(err, query.ErrOrderNotFound) {
		t.Fatalf("unknown order: %v", err)
	}
	go func() {
		time.Sleep(50 * time.Millisecond)
		s.Apply(placed("o", 1, t0))
		time.Sleep(50 * time.Millisecond)
		s.Apply(pizzaAt(events.StageVeggies, "o", 0, "extra"), completed("o", t0.Add(time.Second)))
	}()
	start := time.Now()
	o, err := q.GetOrder.Handle(ctx, query.GetOrder{ID: "o", Wait: 20 * time.Second})
	if err != nil || o.Status != query.StatusCompleted || o.CompletedAt == nil || !o.CompletedAt.Equal(t0.Add(time.Second)) {
		t.Fatalf("after waiting: %+v, %v", o, err)
	}
	if waited := time.Since(start); waited > 10*time.Second {
		t.Fatalf("answered after %s, long after the order completed", waited)
	}
}

func TestGetOrderAnswersWhatThereIsWhenTheWaitRunsOut(t *testing.T) {
	s := mustStore(t)
	s.Apply(placed("slow", 2, t0))
	o, err := query.New(s, s.Notifier()).GetOrder.Handle(context.Background(), query.GetOrder{ID: "slow", Wait: 100 * time.Millisecond})
	if err != nil || o.Status != query.StatusPlaced || o.Count != 2 {
		t.Fatalf("got %+v, %v", o, err)
	}
}

func TestListOrdersClampsTheLimit(t *testing.T) {
	s := mustStore(t)
	for i := range query.MaxPageSize + 5 {
		s.Apply(placed(events.PizzaID("list", i), 1, t0.Add(time.Duration(i)*time.Second)))
	}
	q := query.New(s, s.Notifier())
	for _, tc := range []struct{ limit, want int }{{0, query.DefaultPageSize}, {-3, query.DefaultPageSize}, {7, 7}, {1000, query.MaxPageSize}} {
		p, err := q.ListOrders.Handle(context.Background(), query.ListOrders{Limit: tc.limit})
		if err != nil || len(p.Orders) != tc.want || p.Next == "" {
			t.Fatalf("limit %d: %d orders (next %q), %v; want %d", tc.limit, len(p.Orders), p.Next, err, tc.want)
		}
	}
}
