package projections

import (
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pizzeria/pizzeria/query"
)

var t0 = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

func TestOrderViewFollowsThePipeline(t *testing.T) {
	s := MustOpen(t)
	log := kitchen(t, "order-a", 3, t0)
	ctx := context.Background()
	for i, l := range log {
		if err := s.Apply(decode(t, l)); err != nil {
			t.Fatal(err)
		}
		o, err := s.Order(ctx, "order-a")
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case i == 0 && o.Status != query.StatusPlaced:
			t.Fatalf("after OrderPlaced: %s", o.Status)
		case i > 0 && i < len(log)-1 && o.Status != query.StatusInProgress:
			t.Fatalf("after event %d: %s", i, o.Status)
		}
	}
	o, _ := s.Order(ctx, "order-a")
	if o.Status != query.StatusCompleted || o.CompletedAt == nil || len(o.Pizzas) != 3 || !o.PlacedAt.Equal(t0) {
		t.Fatalf("final view %+v", o)
	}
	for _, p := range o.Pizzas {
		if p.Stage != "done" || p.Sauce == "" || p.Cheese == "" || p.Meats == "" || p.Veggies == "" {
			t.Fatalf("pizza not done: %+v", p)
		}
	}
	counts, _ := s.CheeseCounts(ctx)
	total := 0
	for _, n := range counts {
		total += n
	}
	if total != 3 {
		t.Fatalf("cheese total %d, want 3: %v", total, counts)
	}
}

func TestViewsIgnoreDeliveryOrderAndDuplicates(t *testing.T) {
	var log []logged
	for i, id := range []string{"o1", "o2", "o3"} {
		log = append(log, kitchen(t, id, 4+i, t0.Add(time.Duration(i)*time.Minute))...)
	}
	inOrder := MustOpen(t)
	for _, l := range log {
		if err := inOrder.Apply(decode(t, l)); err != nil {
			t.Fatal(err)
		}
	}
	want, _ := inOrder.Digest()

	// Every event twice, shuffled, from eight goroutines at once.
	shuffled := append(append([]logged{}, log...), log...)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	chaos := MustOpen(t)
	var wg sync.WaitGroup
	work := make(chan logged)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for l := range work {
				if err := chaos.Apply(decode(t, l)); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	for _, l := range shuffled {
		work <- l
	}
	close(work)
	wg.Wait()
	if got, _ := chaos.Digest(); got != want {
		t.Fatal("views differ when the same events arrive shuffled and duplicated")
	}
	o, _ := chaos.Order(context.Background(), "o3")
	if o.Status != query.StatusCompleted || len(o.Pizzas) != 6 {
		t.Fatalf("o3: %+v", o)
	}
}

func TestCompletedOnlyOnceEveryPizzaIsDone(t *testing.T) {
	s := MustOpen(t)
	log := kitchen(t, "o", 2, t0)
	last := log[len(log)-1] // OrderCompleted
	if err := s.Apply(decode(t, last)); err != nil {
		t.Fatal(err)
	}
	for _, l := range log[:len(log)-2] { // all but the last VeggiesAdded
		s.Apply(decode(t, l))
	}
	o, _ := s.Order(context.Background(), "o")
	if o.Status != query.StatusInProgress || o.CompletedAt != nil {
		t.Fatalf("completed before the last pizza: %+v", o)
	}
	s.Apply(decode(t, log[len(log)-2]))
	if o, _ = s.Order(context.Background(), "o"); o.Status != query.StatusCompleted {
		t.Fatalf("not completed after the last pizza: %s", o.Status)
	}
}

func TestOrdersPageNewestFirst(t *testing.T) {
	s := MustOpen(t)
	for i, id := range []string{"a", "b", "c", "d", "e"} {
		s.Apply(decode(t, kitchen(t, id, 1, t0.Add(time.Duration(i)*time.Second))[0]))
	}
	ctx := context.Background()
	var got []string
	cursor := ""
	for pages := 0; ; pages++ {
		p, err := s.Orders(ctx, cursor, 2)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range p.Orders {
			got = append(got, o.ID)
		}
		if cursor = p.Next; cursor == "" {
			break
		}
		if pages > 5 {
			t.Fatal("pagination does not end")
		}
	}
	if want := "edcba"; strings.Join(got, "") != want {
		t.Fatalf("order %s, want %s", strings.Join(got, ""), want)
	}
	if _, err := s.Orders(ctx, "!!not-a-cursor", 2); !errors.Is(err, query.ErrInvalidCursor) {
		t.Fatalf("bad cursor: %v", err)
	}
}

func TestUnknownOrderIsNotFound(t *testing.T) {
	if _, err := MustOpen(t).Order(context.Background(), "nope"); !errors.Is(err, query.ErrOrderNotFound) {
		t.Fatalf("got %v", err)
	}
}
