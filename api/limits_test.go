package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// holdRequest starts a request from addr that waits for an order nobody
// places, and returns once the server holds it; cancel lets it go.
func holdRequest(t *testing.T, h *harness, addr string) (cancel func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req := httptest.NewRequestWithContext(ctx, "GET", "/orders/never-placed?wait=30s", nil)
	req.RemoteAddr = addr
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.handler.ServeHTTP(httptest.NewRecorder(), req)
	}()
	t.Cleanup(func() { cancel(); <-done })
	return cancel
}

func requestFrom(h *harness, addr, target string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("GET", target, nil)
	req.RemoteAddr = addr
	rec := httptest.NewRecorder()
	h.handler.ServeHTTP(rec, req)
	return rec
}

// eventually retries check until it holds or a generous time has passed:
// a held request is registered by another goroutine.
func eventually(t *testing.T, what string, check func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !check(); {
		if time.Now().After(deadline) {
			t.Fatalf("never: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestOneClientCannotHoldMoreThanItsShareOfRequests(t *testing.T) {
	h := newHarness(t, func(_ *harness, c *Config) { c.MaxInFlightPerClient = 2 })
	const greedy, other = "192.0.2.1:1000", "192.0.2.2:1000"
	holdRequest(t, h, greedy)
	holdRequest(t, h, greedy)
	// Both held before probing: a probe in flight while a hold arrives
	// would be its client's second request and refuse the hold instead.
	eventually(t, "both requests of one client are held", func() bool { return h.gauge("pizzeria_http_held_requests") == 2 })
	var rec *httptest.ResponseRecorder
	eventually(t, "the third request of one client is refused", func() bool {
		rec = requestFrom(h, greedy, "/healthz")
		return rec.Code == http.StatusTooManyRequests
	})
	assertProblem(t, rec, http.StatusTooManyRequests)
	if rec.Header().Get("Retry-After") == "" {
		t.Fatal("429 without Retry-After")
	}
	if rec := requestFrom(h, other, "/healthz"); rec.Code != http.StatusOK {
		t.Fatalf("another client was refused too: %d %s", rec.Code, rec.Body)
	}
}

func TestWaitingRequestsAreBounded(t *testing.T) {
	h := newHarness(t, func(_ *harness, c *Config) { c.MaxHolders = 2 })
	holdRequest(t, h, "192.0.2.1:1000")
	release := holdRequest(t, h, "192.0.2.2:1000")
	eventually(t, "both waiting requests are held", func() bool { return h.gauge("pizzeria_http_held_requests") == 2 })
	rec := requestFrom(h, "192.0.2.3:1000", "/orders/never-placed?wait=1s")
	if p := assertProblem(t, rec, http.StatusServiceUnavailable); p.Type != typeURI("busy") {
		t.Fatalf("problem %+v", p)
	}
	if rec := requestFrom(h, "192.0.2.3:1000", "/orders/never-placed"); rec.Code != http.StatusNotFound {
		t.Fatalf("a request that does not wait was refused: %d %s", rec.Code, rec.Body)
	}
	release()
	eventually(t, "a freed slot serves a waiting request again", func() bool {
		return requestFrom(h, "192.0.2.3:1000", "/orders/never-placed?wait=1ms").Code == http.StatusNotFound
	})
}

// gauge reads a gauge without labels from the harness's registry.
func (h *harness) gauge(name string) float64 {
	h.t.Helper()
	mfs, err := h.reg.Gather()
	if err != nil {
		h.t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.GetMetric()) == 1 {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	h.t.Fatalf("no gauge %s", name)
	return 0
}
