package api

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pizzeria/pizzeria/events"
)

func TestARetriedKeyGetsTheFirstAnswerAndAppendsNothing(t *testing.T) {
	for _, route := range []struct{ name, target, body string }{
		{"POST /orders", "/orders", `{"count": 2}`},
		{"legacy POST /order/2", "/order/2", ""},
	} {
		t.Run(route.name, func(t *testing.T) {
			h := newHarness(t)
			post := func() (int, string, string) {
				rec := h.do("POST", route.target, route.body, "Content-Type", "application/json", "Idempotency-Key", "retry-me-42")
				return rec.Code, rec.Header().Get("Location"), rec.Body.String()
			}
			code, loc, body := post()
			if code >= 300 {
				t.Fatalf("first: %d %s", code, body)
			}
			end := h.end()
			for range 3 {
				time.Sleep(2 * time.Millisecond) // a later clock must not show in placed_at
				c, l, b := post()
				if c != code || l != loc || b != body {
					t.Fatalf("retry answered %d %q %s, first %d %q %s", c, l, b, code, loc, body)
				}
			}
			if got := h.end(); got != end || end != 1 {
				t.Fatalf("the log holds %d events after the retries, %d after the first; want 1", got, end)
			}
		})
	}
}

func TestAKeyReusedForAnotherOrderIs422(t *testing.T) {
	h := newHarness(t)
	post := func(count string) *struct {
		code int
		body string
	} {
		rec := h.do("POST", "/orders", `{"count":`+count+`}`, "Content-Type", "application/json", "Idempotency-Key", "k-7")
		if rec.Code == http.StatusUnprocessableEntity {
			p := assertProblem(t, rec, http.StatusUnprocessableEntity)
			if !strings.Contains(p.Detail, "first used for an order of 2 pizzas, not 3") || p.Type != typeURI("idempotency-key-reused") {
				t.Fatalf("the problem does not say what happened: %+v", p)
			}
		}
		return &struct {
			code int
			body string
		}{rec.Code, rec.Body.String()}
	}
	if r := post("2"); r.code != http.StatusAccepted {
		t.Fatalf("first: %d %s", r.code, r.body)
	}
	if r := post("3"); r.code != http.StatusUnprocessableEntity {
		t.Fatalf("the same key with another count: %d %s, want 422", r.code, r.body)
	}
	if r := post("2"); r.code != http.StatusAccepted {
		t.Fatalf("the original request after a refused one: %d %s", r.code, r.body)
	}
	if n := len(h.placedEvents()); n != 1 {
		t.Fatalf("%d OrderPlaced events, want 1", n)
	}
}

func TestConcurrentFirstRequestsWithOneKeyMakeOneOrder(t *testing.T) {
	h := newHarness(t)
	const n = 50
	answers := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			rec := h.do("POST", "/orders", `{"count": 5}`, "Content-Type", "application/json", "Idempotency-Key", "together")
			answers[i] = rec.Header().Get("Location") + " " + rec.Body.String()
			if rec.Code != http.StatusAccepted {
				t.Errorf("request %d: %d %s", i, rec.Code, rec.Body)
			}
		})
	}
	wg.Wait()
	for i, a := range answers {
		if a != answers[0] {
			t.Fatalf("answer %d differs:\n%s\n%s", i, a, answers[0])
		}
	}
	msgs := h.placedEvents()
	if len(msgs) != 1 || h.end() != 1 {
		t.Fatalf("%d OrderPlaced events, %d in the log; want exactly one", len(msgs), h.end())
	}
	if !strings.Contains(answers[0], events.OrderIDForKey("together/5")) {
		t.Fatalf("the order id no longer derives from the key: %s", answers[0])
	}
}
