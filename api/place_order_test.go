package api

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pizzeria/pizzeria/events"
	"github.com/pizzeria/pizzeria/internal/boltlog"
)

func TestPlaceOrderAppendsExactlyOneEvent(t *testing.T) {
	h := newHarness(t)
	rec := h.do("POST", "/orders", `{"count": 3}`, "Content-Type", "application/json; charset=utf-8")
	if rec.Code != http.StatusAccepted {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	if got := keys(t, rec.Body.Bytes()); got != "order_id,placed_at,status" {
		t.Fatalf("fields %s", got)
	}
	var body struct {
		OrderID  string `json:"order_id"`
		Status   string `json:"status"`
		PlacedAt string `json:"placed_at"`
	}
	decodeJSON(t, rec, &body)
	if body.Status != "placed" || body.OrderID == "" {
		t.Fatalf("body %+v", body)
	}
	if _, err := time.Parse(time.RFC3339, body.PlacedAt); err != nil || !strings.HasSuffix(body.PlacedAt, "Z") {
		t.Fatalf("placed_at %q is not RFC 3339 UTC", body.PlacedAt)
	}
	if loc := rec.Header().Get("Location"); loc != "/orders/"+body.OrderID {
		t.Fatalf("Location %q", loc)
	}
	msgs := h.placedEvents()
	if len(msgs) != 1 || h.end() != 1 {
		t.Fatalf("%d events in orders, %d in the log; want exactly one", len(msgs), h.end())
	}
	e := h.decode(codec.Topics().Orders, msgs[0])
	placed, ok := e.Body.(*events.OrderPlaced)
	if !ok || placed.OrderID != body.OrderID || placed.Count != 3 {
		t.Fatalf("event %+v", e.Body)
	}
}

func TestUnavailableLogIs503AndStoresNothing(t *testing.T) {
	h := newHarness(t)
	h.log.Close() // a real failure: the publisher refuses once its log is closed
	for _, target := range []string{"/orders", "/order/2"} {
		rec := h.do("POST", target, `{"count":2}`, "Content-Type", "application/json")
		p := assertProblem(t, rec, http.StatusServiceUnavailable)
		if rec.Header().Get("Retry-After") == "" {
			t.Fatal("no Retry-After")
		}
		if strings.Contains(p.Detail, "boltlog") || strings.Contains(p.Detail, "closed") {
			t.Fatalf("internal text leaked: %q", p.Detail)
		}
	}
	if !strings.Contains(h.logs.String(), "boltlog: closed") {
		t.Fatalf("the real error was not logged: %s", h.logs)
	}
	reopened, err := boltlog.Open(boltlog.Config{Path: h.logPath})
	if err != nil {
		t.Fatal(err)
	}
	defer reopened.Close()
	h.log = reopened
	if n := h.end(); n != 0 {
		t.Fatalf("%d events stored by failed requests", n)
	}
}
