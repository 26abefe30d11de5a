package projections

import (
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/pizzeria/pizzeria/events"
	"github.com/pizzeria/pizzeria/internal/boltstore"
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

func TestOneTransactionCountsARepeatedEventOnce(t *testing.T) {
	s := MustOpen(t)
	log := kitchen(t, "twice", 1, t0)
	var cheese events.Event
	for _, l := range log {
		if e := decode(t, l); e.Type() == events.TypeCheeseAdded {
			cheese = e
		}
	}
	pos := boltstore.Position{Topic: "pizza-with-cheese", Partition: 0, Offset: 41}
	items := []item{
		{event: cheese, pos: &pos},
		{event: cheese, pos: &pos},                            // redelivered: same position
		{event: cheese, pos: &boltstore.Position{Offset: 99}}, // written twice: same event, new position
	}
	var applied int
	err := s.db.Update(func(tx *bolt.Tx) error {
		done, err := foldBatch(tx, items, true)
		applied = done.applied
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	counts, _ := s.CheeseCounts(context.Background())
	total := 0
	for _, n := range counts {
		total += n
	}
	if applied != 1 || total != 1 {
		t.Fatalf("applied %d, cheese total %d; want 1 and 1", applied, total)
	}
	if err := s.ApplyAt(pos, cheese); err != nil {
		t.Fatal(err)
	}
	if again, _ := s.CheeseCounts(context.Background()); again[cheese.Body.(*events.PizzaEvent).Pizza.Cheese] != 1 {
		t.Fatalf("a redelivery in a later transaction counted again: %v", again)
	}
}

func TestDamagedRecordIsReportedNotServed(t *testing.T) {
	s := MustOpen(t)
	for _, l := range kitchen(t, "dmg", 2, t0) {
		s.Apply(decode(t, l))
	}
	s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketOrders)
		v := append([]byte(nil), b.Get([]byte("dmg"))...)
		v[len(v)/2] ^= 0x20
		return b.Put([]byte("dmg"), v)
	})
	if _, err := s.Order(context.Background(), "dmg"); !errors.Is(err, ErrDamaged) {
		t.Fatalf("damaged record read as %v", err)
	}
}

// A pizza event that names a pizza its order does not have (beyond the
// order's count, or made up for a completed order) is refused with
// ErrNotInOrder, for the dead-letter topic, and changes nothing; in
// whatever order the events arrive, the views hold only the order's own
// pizzas. Pizzas of orders never seen placed (the original services') are
// kept as before.
func TestPizzasNotInTheirOrderAreRefused(t *testing.T) {
	log := kitchen(t, "three", 3, t0)
	var cheese events.Event
	for _, l := range log {
		if e := decode(t, l); e.Type() == events.TypeCheeseAdded {
			cheese = e
		}
	}
	stranger := func(orderID, pizzaID string) events.Event {
		e := cheese
		body := *cheese.Body.(*events.PizzaEvent)
		body.Pizza.OrderID, body.Pizza.PizzaID = orderID, pizzaID
		e.Body, e.ID, e.CorrelationID = &body, "stranger-"+pizzaID, orderID
		return e
	}
	cases := []struct {
		name  string
		event events.Event
	}{
		{"a fourth pizza for a completed 3-pizza order", stranger("three", events.PizzaID("three", 3))},
		{"a made-up pizza id", stranger("three", "made-up")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := MustOpen(t)
			for _, l := range log {
				if err := s.Apply(decode(t, l)); err != nil {
					t.Fatal(err)
				}
			}
			before, _ := s.Digest()
			err := s.ApplyAt(boltstore.Position{Topic: "pizza-with-cheese", Offset: 99}, c.event)
			if !errors.Is(err, ErrNotInOrder) || !errors.Is(err, events.ErrInvalidEvent) {
				t.Fatalf("got %v, want ErrNotInOrder", err)
			}
			if after, _ := s.Digest(); after != before {
				t.Fatal("a refused event changed the views")
			}
		})
	}
	t.Run("the stranger arrives before the placement", func(t *testing.T) {
		inOrder, shuffled := MustOpen(t), MustOpen(t)
		for _, l := range log {
			inOrder.Apply(decode(t, l))
		}
		if err := shuffled.Apply(stranger("three", "made-up")); err != nil {
			t.Fatalf("a pizza of an order not yet placed is kept until it is: %v", err)
		}
		for _, l := range log {
			shuffled.Apply(decode(t, l))
		}
		want, _ := inOrder.Digest()
		if got, _ := shuffled.Digest(); got != want {
			o, _ := shuffled.Order(context.Background(), "three")
			t.Fatalf("the stranger stayed: %d pizzas", len(o.Pizzas))
		}
	})
	t.Run("pizzas of orders never placed here", func(t *testing.T) {
		s := MustOpen(t)
		if err := s.Apply(stranger("from-the-original", "any")); err != nil {
			t.Fatal(err)
		}
		if o, err := s.Order(context.Background(), "from-the-original"); err != nil || len(o.Pizzas) != 1 {
			t.Fatalf("%+v %v", o, err)
		}
	})
}

// The same completion written twice a moment apart (a stage ran again after
// a crash) folds to the earliest time, in whichever order the two arrive.
func TestTwoCompletionsOfOneOrderKeepTheEarliest(t *testing.T) {
	log := kitchen(t, "twice-done", 1, t0)
	first := decode(t, log[len(log)-1])
	later := first
	body := *first.Body.(*events.OrderCompleted)
	body.CompletedAt = body.CompletedAt.Add(time.Second)
	later.Body = &body
	a, b := MustOpen(t), MustOpen(t)
	for _, l := range log[:len(log)-1] {
		a.Apply(decode(t, l))
		b.Apply(decode(t, l))
	}
	a.Apply(first)
	a.Apply(later)
	b.Apply(later)
	b.Apply(first)
	da, _ := a.Digest()
	if db, _ := b.Digest(); da != db {
		t.Fatal("the views depend on which completion arrived first")
	}
	if o, _ := b.Order(context.Background(), "twice-done"); !o.CompletedAt.Equal(first.Body.(*events.OrderCompleted).CompletedAt) {
		t.Fatalf("completed at %v, want the earlier time", o.CompletedAt)
	}
}
