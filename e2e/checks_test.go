//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"
)

// Violations collects broken invariants, safe for concurrent use.
type Violations struct {
	mu   sync.Mutex
	list []string
}

func (v *Violations) Addf(format string, args ...any) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.list = append(v.list, fmt.Sprintf(format, args...))
}

func (v *Violations) Len() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return len(v.list)
}

// Report fails t with every violation (the first 50 spelled out).
func (v *Violations) Report(t *testing.T) {
	t.Helper()
	v.mu.Lock()
	defer v.mu.Unlock()
	for i, s := range v.list {
		if i == 50 {
			t.Errorf("... and %d more violations", len(v.list)-50)
			break
		}
		t.Errorf("violation: %s", s)
	}
}

// awaitCompleted waits, by GET ?wait=, until every order in want (id →
// count) is completed or ctx ends. It returns the last view read of each
// order; orders never seen are missing from the map.
func awaitCompleted(ctx context.Context, api *API, want map[string]int) map[string]Order {
	ids := make(chan string)
	var mu sync.Mutex
	got := map[string]Order{}
	var wg sync.WaitGroup
	for range min(8, len(want)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range ids {
				for ctx.Err() == nil {
					o, _, status, err := api.GetOrder(ctx, id, 20*time.Second)
					if err == nil && status == 200 {
						mu.Lock()
						got[id] = o
						mu.Unlock()
						if o.Status == "completed" {
							break
						}
					} else if ctx.Err() == nil {
						time.Sleep(250 * time.Millisecond) // 404 until the view has it, or the node restarts
					}
				}
			}
		}()
	}
	for _, id := range slices.Sorted(maps.Keys(want)) {
		ids <- id
	}
	close(ids)
	wg.Wait()
	return got
}

// checkOrders checks every order in want against its view: completed, with
// exactly its count of pizzas, each done with all four toppings, and no
// pizza id twice anywhere. It returns the cheese recount over the views
// and the number of pizzas.
func checkOrders(v *Violations, want map[string]int, got map[string]Order) (cheeses map[string]int, pizzas int) {
	cheeses = map[string]int{}
	owner := map[string]string{} // pizza id → order id
	for _, id := range slices.Sorted(maps.Keys(want)) {
		o, ok := got[id]
		switch {
		case !ok:
			v.Addf("order %s (count %d): never visible in the views", id, want[id])
			continue
		case o.Status != "completed":
			v.Addf("order %s: status %q with %d of %d pizzas", id, o.Status, len(o.Pizzas), want[id])
		case o.CompletedAt == nil:
			v.Addf("order %s: completed without completed_at", id)
		}
		if o.Count != want[id] || len(o.Pizzas) != want[id] {
			v.Addf("order %s: count %d and %d pizzas, want %d", id, o.Count, len(o.Pizzas), want[id])
		}
		for _, p := range o.Pizzas {
			pizzas++
			if prev, dup := owner[p.PizzaID]; dup {
				v.Addf("pizza id %s appears twice (orders %s and %s)", p.PizzaID, prev, id)
			}
			owner[p.PizzaID] = id
			if p.Stage != "done" || p.Sauce == "" || p.Cheese == "" || p.Meats == "" || p.Veggies == "" {
				v.Addf("order %s: pizza %s incomplete: %+v", id, p.PizzaID, p)
			}
			if p.Cheese != "" {
				cheeses[p.Cheese]++
			}
		}
	}
	return cheeses, pizzas
}

// checkCheese compares the cheese report with a recount from elsewhere.
func checkCheese(v *Violations, what string, rep CheeseReport, recount map[string]int) {
	got := map[string]int{}
	sum := 0
	for _, c := range rep.Cheeses {
		got[c.Cheese] = c.Count
		sum += c.Count
	}
	if sum != rep.Total {
		v.Addf("cheese report: total %d but counts sum to %d", rep.Total, sum)
	}
	if !maps.Equal(got, recount) {
		v.Addf("cheese report %v differs from the recount over %s %v", got, what, recount)
	}
}

// snapshot reads every order view and the cheese report as raw bytes.
func snapshot(ctx context.Context, t *testing.T, api *API, ids []string) (map[string]string, string) {
	t.Helper()
	views := map[string]string{}
	for _, id := range ids {
		_, raw, status, err := api.GetOrder(ctx, id, 0)
		if err != nil || status != 200 {
			t.Fatalf("GET /orders/%s: %d %s %v", id, status, raw, err)
		}
		views[id] = string(raw)
	}
	_, rep, err := api.Cheese(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return views, string(rep)
}
