//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// TestKafkaPipeline runs every role as its own process on Kafka, kills the
// cheese stage mid-run, and checks that every order completes whole, that a
// replay reproduces the views byte for byte, and that a message in the
// original services' format (no headers) goes through the kitchen.
func TestKafkaPipeline(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	k := StartKafkaRoles(t)
	api := k.API()

	const orders = 50
	want := map[string]int{}
	cheese := k.Proc("stage cheese")
	began := time.Now()
	for i := range orders {
		if i == orders/2 {
			cheese.Kill()
			t.Logf("killed %s after %d orders", cheese.Name, i)
		}
		if i == orders/2+5 {
			if err := cheese.Restart(startTimeout); err != nil {
				t.Fatal(err)
			}
			t.Logf("restarted %s", cheese.Name)
		}
		n := 1 + rand.IntN(10)
		id, r, err := api.PlaceOrder(ctx, n, "")
		if err != nil || id == "" {
			t.Fatalf("order %d: %v %s", i, err, r)
		}
		want[id] = n
	}

	got := awaitCompleted(ctx, api, want)
	var v Violations
	recount, pizzas := checkOrders(&v, want, got)
	t.Logf("%d orders, %d pizzas completed in %s (cheese stage killed once)", len(want), pizzas, time.Since(began).Round(time.Millisecond))
	rep, _, err := api.Cheese(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if sum := sumValues(want); rep.Total != sum {
		v.Addf("cheese report total %d, want the sum of counts %d", rep.Total, sum)
	}
	checkCheese(&v, "the order views", rep, recount)
	v.Report(t)
	if t.Failed() {
		return
	}

	ids := slices.Sorted(maps.Keys(want))
	before, repBefore := snapshot(ctx, t, api, ids)
	st, err := api.Replay(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("replay: %s", st)
	after, repAfter := snapshot(ctx, t, api, ids)
	for _, id := range ids {
		if before[id] != after[id] {
			t.Errorf("order %s changed across replay:\nbefore %s\nafter  %s", id, before[id], after[id])
		}
	}
	if repBefore != repAfter {
		t.Errorf("cheese report changed across replay:\nbefore %s\nafter  %s", repBefore, repAfter)
	}

	t.Run("original format", func(t *testing.T) { legacyPizza(ctx, t, k, api) })
}

// legacyPizza produces a pizza as the original services do (bare JSON, key
// = order_id, no headers) onto the pizza topic and follows it through every
// stage into the views.
func legacyPizza(ctx context.Context, t *testing.T, k *Kitchen, api *API) {
	orderID := fmt.Sprintf("legacy-%d", time.Now().UnixNano())
	value := fmt.Appendf(nil, `{"order_id":%q,"sauce":"","cheese":"","meats":"","veggies":""}`, orderID)
	cl := rawClient(t)
	rec := produce(t, cl, k.Prefix+"pizza", orderID, value, nil)
	t.Logf("produced %s at %s/%d offset %d", value, rec.Topic, rec.Partition, rec.Offset)

	deadline := time.Now().Add(90 * time.Second)
	var done map[string]any
	for done == nil && time.Now().Before(deadline) {
		rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		for _, r := range readTopic(rctx, t, k.Prefix+"pizza-with-veggies") {
			var p map[string]any
			if json.Unmarshal(r.Value, &p) == nil && p["order_id"] == orderID {
				done = p
			}
		}
		cancel()
		if done == nil {
			time.Sleep(500 * time.Millisecond)
		}
	}
	if done == nil {
		t.Fatalf("pizza of %s did not come out on %spizza-with-veggies within 90s", orderID, k.Prefix)
	}
	t.Logf("came out as %v", done)
	for _, f := range []string{"sauce", "cheese", "meats", "veggies"} {
		if s, _ := done[f].(string); s == "" {
			t.Errorf("finished legacy pizza has no %s: %v", f, done)
		}
	}

	var o Order
	for time.Now().Before(deadline) {
		var status int
		var err error
		o, _, status, err = api.GetOrder(ctx, orderID, 0)
		if err == nil && status == 200 && len(o.Pizzas) == 1 && o.Pizzas[0].Stage == "done" {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	if o.Status != "in_progress" || len(o.Pizzas) != 1 || o.Pizzas[0].Stage != "done" {
		t.Fatalf("GET /orders/%s = %+v, want in_progress with one pizza at stage done", orderID, o)
	}
	p := o.Pizzas[0]
	if p.Sauce != done["sauce"] || p.Cheese != done["cheese"] || p.Meats != done["meats"] || p.Veggies != done["veggies"] {
		t.Errorf("view pizza %+v differs from the finished message %v", p, done)
	}
}

func sumValues(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
