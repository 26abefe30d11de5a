//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// TestCrashKafka runs every role as its own process on Kafka and SIGKILLs
// any of them at random under load; afterwards it recounts the event log
// with a raw consumer and holds the views to it.
func TestCrashKafka(t *testing.T) {
	k := StartKafkaRoles(t)
	var v Violations
	c := &Crash{
		Kitchen: k,
		Load:    &Load{API: k.API(), Clients: 4, KeyPrefix: k.Prefix, MaxCount: 5, Pause: 250 * time.Millisecond, KeyTimeout: 90 * time.Second, V: &v},
		Kills:   crashKills(t),
		Gap:     3 * time.Second, Down: 500 * time.Millisecond,
		KillPhase: 3*time.Minute + 30*time.Second, Settle: 2 * time.Minute,
	}
	want, got := c.Run(t, &v)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	checkLog(ctx, t, &v, k, want, got)
	out, err := runBinary(ctx, "dlq", "list", "--broker", "kafka", "--kafka-brokers", kafkaBrokers(), "--topic-prefix", k.Prefix)
	if err != nil || lastLine(out) != "0 dead letters pending" {
		v.Addf("pizzeria dlq list: %v\n%s", err, out)
	}
	v.Report(t)
}

// checkLog reads the orders and pizza-with-cheese topics from the start
// and checks them against what clients were given and the views show: one
// OrderPlaced order id per accepted order and no other, one cheese per pizza
// however often its event was redelivered, and the cheese report equal to a
// recount over the log.
func checkLog(ctx context.Context, t *testing.T, v *Violations, k *Kitchen, want map[string]int, got map[string]Order) {
	placed := map[string]bool{}
	for _, r := range readTopic(ctx, t, k.Prefix+"orders") {
		if header(r, "event_type") != "OrderPlaced" {
			continue
		}
		var o struct {
			OrderID string `json:"order_id"`
		}
		if err := json.Unmarshal(r.Value, &o); err != nil {
			v.Addf("orders %d/%d: %v", r.Partition, r.Offset, err)
		}
		placed[o.OrderID] = true
	}
	for id := range placed {
		if _, ok := want[id]; !ok {
			v.Addf("the log holds OrderPlaced %s, which no client was given", id)
		}
	}
	if len(placed) != len(want) {
		v.Addf("the log holds %d placed orders, clients were given %d", len(placed), len(want))
	}

	cheeseOf := map[string]string{} // pizza id → cheese
	records := 0
	for _, r := range readTopic(ctx, t, k.Prefix+"pizza-with-cheese") {
		records++
		var p Pizza
		if err := json.Unmarshal(r.Value, &p); err != nil {
			v.Addf("pizza-with-cheese %d/%d: %v", r.Partition, r.Offset, err)
			continue
		}
		if prev, ok := cheeseOf[p.PizzaID]; ok && prev != p.Cheese {
			v.Addf("pizza %s got cheese %q and %q", p.PizzaID, prev, p.Cheese)
		}
		cheeseOf[p.PizzaID] = p.Cheese
	}
	recount := map[string]int{}
	for _, c := range cheeseOf {
		recount[c]++
	}
	viewPizzas := 0
	for _, o := range got {
		for _, p := range o.Pizzas {
			viewPizzas++
			if c, ok := cheeseOf[p.PizzaID]; !ok || c != p.Cheese {
				v.Addf("pizza %s: view says cheese %q, the log %q", p.PizzaID, p.Cheese, c)
			}
		}
	}
	if len(cheeseOf) != viewPizzas {
		v.Addf("the log has %d pizzas with cheese, the views %d", len(cheeseOf), viewPizzas)
	}
	rep, _, err := k.API().Cheese(ctx)
	if err != nil {
		v.Addf("cheese report: %v", err)
		return
	}
	checkCheese(v, "the event log", rep, recount)
	t.Logf("event log: %d placed orders, %d cheese events for %d pizzas (%d redelivered duplicates); report total %d",
		len(placed), records, len(cheeseOf), records-len(cheeseOf), rep.Total)
}

func header(r *kgo.Record, key string) string {
	for _, h := range r.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}
