//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/pizzeria/pizzeria/internal/boltlog"
)

// poison is a message no handler can ever process. Its payload carries a
// marker near the start, so its dead letters can be recognised.
type poison struct {
	name    string
	topic   string // without the kitchen's prefix
	marker  string
	key     string
	value   []byte
	headers map[string]string
	// Where it was written, when the transport says (Kafka).
	partition, offset string
}

// poisons returns one of each kind of poison message, unique to run.
func poisons(run string) []*poison {
	m := func(i int) string { return fmt.Sprintf("poison-%s-%d", run, i) }
	placedAt := time.Now().UTC().Format(time.RFC3339)
	ps := []*poison{
		{name: "malformed JSON on pizza", topic: "pizza", marker: m(1),
			value: fmt.Appendf(nil, `{"order_id":%q,"sauce":`, m(1))},
		{name: "unknown event_type on pizza", topic: "pizza", marker: m(2),
			value:   fmt.Appendf(nil, `{"order_id":%q,"pizza_id":%q,"sauce":"","cheese":"","meats":"","veggies":""}`, m(2), m(2)),
			headers: map[string]string{"event_type": "PizzaBaked", "schema_version": "1"}},
		{name: "future schema_version on orders", topic: "orders", marker: m(3),
			value:   fmt.Appendf(nil, `{"order_id":%q,"count":1,"placed_at":%q}`, m(3), placedAt),
			headers: map[string]string{"event_type": "OrderPlaced", "schema_version": "99"}},
		{name: "missing order_id on orders", topic: "orders", marker: m(4),
			value: fmt.Appendf(nil, `{"marker":%q,"count":2,"placed_at":%q}`, m(4), placedAt)},
		{name: "missing order_id on pizza", topic: "pizza", marker: m(5),
			value: fmt.Appendf(nil, `{"marker":%q,"pizza_id":"p1","sauce":"","cheese":"","meats":"","veggies":""}`, m(5))},
		{name: "malformed JSON on orders", topic: "orders", marker: m(6),
			value: fmt.Appendf(nil, `{"order_id":%q,"count":`, m(6))},
		{name: "oversized value on pizza", topic: "pizza", marker: m(7),
			value: fmt.Appendf(nil, `{"order_id":%q,"pad":"%s"}`, m(7), bytes.Repeat([]byte("x"), 70<<10))},
	}
	for _, p := range ps {
		p.key = p.marker
	}
	return ps
}

// TestPoisonMessages writes poison onto the pizza and orders topics behind
// the kitchen's back: each must reach the dead-letter topic with its reason
// and origin, the kitchen must go on completing orders, and a redrive must
// send the letters back, where they fail again and nothing else breaks.
func TestPoisonMessages(t *testing.T) {
	t.Run("kafka", func(t *testing.T) {
		k := StartKafkaRoles(t)
		poisonRun(t, k, func(ps []*poison) {
			cl := rawClient(t)
			for _, p := range ps {
				r := produce(t, cl, k.Prefix+p.topic, p.key, p.value, p.headers)
				p.partition, p.offset = strconv.Itoa(int(r.Partition)), strconv.FormatInt(r.Offset, 10)
			}
		})
	})
	t.Run("embedded", func(t *testing.T) {
		k := StartEmbedded(t)
		poisonRun(t, k, func(ps []*poison) {
			// The embedded log is one bbolt file that its process locks:
			// write while the process is stopped.
			p := k.Views
			p.Stop(30 * time.Second)
			appendEmbedded(t, filepath.Join(p.DataDir, "log.db"), k.Prefix, ps)
			if err := p.Start(); err != nil {
				t.Fatal(err)
			}
			if err := p.WaitHealthy(startTimeout); err != nil {
				t.Fatal(err)
			}
		})
	})
}

// appendEmbedded appends the poison messages to the embedded log file.
func appendEmbedded(t *testing.T, path, prefix string, ps []*poison) {
	t.Helper()
	log, err := boltlog.Open(boltlog.Config{Path: path})
	if err != nil {
		t.Fatalf("open the embedded log: %v", err)
	}
	defer log.Close()
	for _, p := range ps {
		msg := message.NewMessage(p.marker, p.value)
		for k, v := range p.headers {
			msg.Metadata.Set(k, v)
		}
		if err := log.Publisher().Publish(prefix+p.topic, msg); err != nil {
			t.Fatalf("append %s: %v", p.name, err)
		}
	}
}

// poisonRun is the scenario both deployments share; write puts the poison
// messages onto the log.
func poisonRun(t *testing.T, k *Kitchen, write func([]*poison)) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	api := k.API()
	placeAndComplete(ctx, t, api, 3) // the topics exist and the kitchen works

	ps := poisons(strings.TrimSuffix(k.Prefix, "."))
	write(ps)
	pids := k.Pids()
	letters := awaitLetters(ctx, t, api, k.Prefix, ps, false)
	for _, p := range ps {
		l := letters[p.marker]
		t.Logf("%s: %d bytes from %s %s/%s by %s: %s", p.name, l.Size, l.SourceTopic, l.SourcePartition, l.SourceOffset, l.Handler, l.Reason)
	}
	placeAndComplete(ctx, t, api, 4)

	pending, err := api.DeadLetters(ctx)
	if err != nil {
		t.Fatal(err)
	}
	n, err := api.Redrive(ctx)
	if err != nil {
		t.Fatalf("redrive: %v", err)
	}
	if n != len(pending) {
		t.Errorf("redrive re-drove %d letters, %d were pending", n, len(pending))
	}
	t.Logf("re-drove %d dead letters", n)
	awaitLetters(ctx, t, api, k.Prefix, ps, true)
	placeAndComplete(ctx, t, api, 5)
	k.RequireAlive(t, pids)
}

// awaitLetters waits until every poison message is among the pending dead
// letters with its reason, source topic, partition and offset, and returns
// one letter per marker. After a redrive the letter comes from the message's
// re-driven copy, so its offset differs from the original's.
func awaitLetters(ctx context.Context, t *testing.T, api *API, prefix string, ps []*poison, redriven bool) map[string]Letter {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		letters, err := api.DeadLetters(ctx)
		if err != nil {
			t.Fatal(err)
		}
		found, missing := matchLetters(letters, prefix, ps, redriven)
		if len(missing) == 0 {
			return found
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 90s, no matching dead letter for: %s\n(%d letters pending: %+v)", strings.Join(missing, "; "), len(letters), letters)
		}
		time.Sleep(time.Second)
	}
}

func matchLetters(letters []Letter, prefix string, ps []*poison, redriven bool) (map[string]Letter, []string) {
	found := map[string]Letter{}
	var missing []string
	for _, p := range ps {
		for _, l := range letters {
			if !strings.Contains(l.Payload, p.marker) || l.SourceTopic != prefix+p.topic || l.Reason == "" {
				continue
			}
			if _, err := strconv.Atoi(l.SourcePartition); err != nil {
				continue
			}
			if _, err := strconv.Atoi(l.SourceOffset); err != nil {
				continue
			}
			if p.offset != "" && !redriven && (l.SourcePartition != p.partition || l.SourceOffset != p.offset) {
				continue
			}
			if p.offset != "" && redriven && l.SourceOffset == p.offset && l.SourcePartition == p.partition {
				continue
			}
			if l.Size != len(p.value) {
				continue
			}
			found[p.marker] = l
		}
		if _, ok := found[p.marker]; !ok {
			missing = append(missing, p.name)
		}
	}
	return found, missing
}

// placeAndComplete places n orders and waits until they complete whole.
func placeAndComplete(ctx context.Context, t *testing.T, api *API, n int) {
	t.Helper()
	want := map[string]int{}
	for i := range n {
		id, r, err := api.PlaceOrder(ctx, 1+i%3, "")
		if err != nil || id == "" {
			t.Fatalf("POST /orders: %v %s", err, r)
		}
		want[id] = 1 + i%3
	}
	wctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	var v Violations
	checkOrders(&v, want, awaitCompleted(wctx, api, want))
	v.Report(t)
}
