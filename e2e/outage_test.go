//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"testing"
	"time"

	"github.com/pizzeria/pizzeria/events"
)

// Bounds the service must keep while the broker is away.
const (
	outageAnswerBound = 15 * time.Second // POST /orders answers 503 within this
	outageLength      = 25 * time.Second // how long the broker stays stopped
)

// TestBrokerOutage stops the broker (keeping its data) with orders in
// flight: the command API must refuse new orders promptly with 503 and
// Retry-After, every role must report itself unready with a reason, reads
// must keep working; once the broker is back every role resumes by itself
// and every order accepted before the outage completes.
func TestBrokerOutage(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	k := StartKafkaRoles(t)
	api := k.API()

	want := map[string]int{}
	for i := range 30 {
		n := 1 + rand.IntN(10)
		id, r, err := api.PlaceOrder(ctx, n, "")
		if err != nil || id == "" {
			t.Fatalf("order %d: %v %s", i, err, r)
		}
		want[id] = n
	}
	pids := k.Pids()
	seen := visibleOrder(ctx, t, api, want)

	down := true
	t.Cleanup(func() {
		if down { // leave the broker as the test found it
			out, err := kafkaCtl(context.Background(), "start")
			t.Logf("restarting the broker after a failure: %v\n%s", err, out)
		}
	})
	began := time.Now()
	if out, err := kafkaCtl(ctx, "stop"); err != nil {
		t.Fatalf("kafka.sh stop: %v\n%s", err, out)
	}
	t.Logf("broker stopped in %s with 30 orders in flight", time.Since(began).Round(time.Millisecond))

	rejected := refusedWhileDown(ctx, t, api)
	for _, p := range k.Procs {
		unreadyWhileDown(ctx, t, api, p)
	}
	// Reads are served from the query node's own views.
	if _, raw, status, err := api.GetOrder(ctx, seen, 0); err != nil || status != http.StatusOK {
		t.Errorf("GET /orders/%s during the outage: %d %s %v", seen, status, raw, err)
	}

	time.Sleep(time.Until(began.Add(outageLength)))
	restart := time.Now()
	out, err := kafkaCtl(ctx, "start")
	if err != nil {
		t.Fatalf("kafka.sh start: %v\n%s", err, out)
	}
	down = false
	t.Logf("broker back after %s (start took %s)", time.Since(began).Round(time.Millisecond), time.Since(restart).Round(time.Millisecond))

	got := awaitCompleted(ctx, api, want)
	var v Violations
	_, pizzas := checkOrders(&v, want, got)
	t.Logf("all %d orders (%d pizzas) accepted before the outage checked %s after the broker was back",
		len(want), pizzas, time.Since(restart).Round(time.Millisecond))

	after := map[string]int{}
	for i := range 5 {
		id := placeWhenUp(ctx, t, api, 1+i)
		after[id] = 1 + i
	}
	checkOrders(&v, after, awaitCompleted(ctx, api, after))
	for key, count := range rejected {
		id := events.OrderIDForKey(fmt.Sprintf("%s/%d", key, count))
		if _, _, status, err := api.GetOrder(ctx, id, 0); err != nil || status != http.StatusNotFound {
			v.Addf("order %s refused with 503 during the outage exists afterwards (status %d, %v)", id, status, err)
		}
	}
	v.Report(t)
	for _, p := range k.Procs {
		waitReady(ctx, t, api, p, time.Minute)
	}
	k.RequireAlive(t, pids)
}

// visibleOrder waits until one of the orders shows in the views and
// returns its id.
func visibleOrder(ctx context.Context, t *testing.T, api *API, orders map[string]int) string {
	t.Helper()
	for range 100 {
		for id := range orders {
			if _, _, status, err := api.GetOrder(ctx, id, 0); err == nil && status == http.StatusOK {
				return id
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("none of the orders placed shows in the views")
	return ""
}

// refusedWhileDown posts orders while the broker is down: each must be
// answered 503 with Retry-After within outageAnswerBound. It returns the
// refused idempotency keys and counts.
func refusedWhileDown(ctx context.Context, t *testing.T, api *API) map[string]int {
	t.Helper()
	refused := map[string]int{}
	for i := range 3 {
		key := fmt.Sprintf("outage-%d-%d", time.Now().UnixNano(), i)
		id, r, err := api.PlaceOrder(ctx, 2, key)
		switch {
		case err != nil && r.Status == 0:
			t.Errorf("POST /orders during the outage: no answer after %s: %v", r.Took.Round(time.Millisecond), err)
		case r.Status != http.StatusServiceUnavailable:
			t.Errorf("POST /orders during the outage: %s (order %q), want 503", r, id)
		case r.Header.Get("Retry-After") == "":
			t.Errorf("POST /orders during the outage: 503 without Retry-After")
		case r.Took > outageAnswerBound:
			t.Errorf("POST /orders during the outage took %s, want under %s", r.Took, outageAnswerBound)
		default:
			refused[key] = 2
		}
		t.Logf("POST /orders during the outage: %d in %s", r.Status, r.Took.Round(time.Millisecond))
	}
	return refused
}

// unreadyWhileDown checks that p's /readyz says 503 with a reason.
func unreadyWhileDown(ctx context.Context, t *testing.T, api *API, p *Proc) {
	t.Helper()
	r, err := api.Ready(ctx, p.URL(""))
	if err != nil {
		t.Errorf("%s /readyz during the outage: %v", p.Name, err)
		return
	}
	var body struct{ Status, Reason string }
	_ = json.Unmarshal(r.Body, &body)
	if r.Status != http.StatusServiceUnavailable || body.Reason == "" {
		t.Errorf("%s /readyz during the outage: %s, want 503 with a reason", p.Name, r)
		return
	}
	t.Logf("%s /readyz during the outage: 503 in %s: %s", p.Name, r.Took.Round(time.Millisecond), body.Reason)
}

// waitReady waits until p's /readyz answers 200.
func waitReady(ctx context.Context, t *testing.T, api *API, p *Proc, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	var last Response
	for time.Now().Before(deadline) {
		r, err := api.Ready(ctx, p.URL(""))
		if err == nil && r.Status == http.StatusOK {
			return
		}
		last = r
		time.Sleep(500 * time.Millisecond)
	}
	t.Errorf("%s /readyz not 200 within %s after the outage: %s", p.Name, within, last)
}

// placeWhenUp places an order, retrying 503s for up to a minute while the
// roles reconnect.
func placeWhenUp(ctx context.Context, t *testing.T, api *API, count int) string {
	t.Helper()
	key := fmt.Sprintf("after-outage-%d-%d", time.Now().UnixNano(), count)
	deadline := time.Now().Add(time.Minute)
	var last Response
	for time.Now().Before(deadline) {
		id, r, err := api.PlaceOrder(ctx, count, key)
		if err == nil && id != "" {
			return id
		}
		last = r
		time.Sleep(500 * time.Millisecond)
	}
	t.Fatalf("no order accepted within a minute after the outage: %s", last)
	return ""
}
