package api

import (
	"net/http"
	"testing"
	"time"
)

func TestWaitReturnsAsSoonAsTheOrderCompletes(t *testing.T) {
	h := newHarness(t)
	id := h.order(3)
	evs := h.cook(id)
	last := len(evs) - 2 // the last VeggiesAdded, then OrderCompleted
	h.apply(evs[:last]...)

	const delay = 150 * time.Millisecond
	go func() {
		time.Sleep(delay)
		h.apply(evs[last:]...)
	}()
	start := time.Now()
	rec := h.do("GET", "/orders/"+id+"?wait=20s", "")
	took := time.Since(start)
	var v struct {
		Status      string  `json:"status"`
		CompletedAt *string `json:"completed_at"`
	}
	decodeJSON(t, rec, &v)
	if rec.Code != http.StatusOK || v.Status != "completed" || v.CompletedAt == nil {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	if took < delay || took > 5*time.Second {
		t.Fatalf("answered after %s; the order completed after %s", took, delay)
	}
}

func TestWaitAnswersWithTheCurrentViewWhenTimeRunsOut(t *testing.T) {
	h := newHarness(t)
	id := h.order(2)
	evs := h.cook(id)
	h.apply(evs[:3]...)

	const wait = 300 * time.Millisecond
	start := time.Now()
	rec := h.do("GET", "/orders/"+id+"?wait="+wait.String(), "")
	took := time.Since(start)
	var v struct {
		Status      string  `json:"status"`
		CompletedAt *string `json:"completed_at"`
	}
	decodeJSON(t, rec, &v)
	if rec.Code != http.StatusOK || v.Status != "in_progress" || v.CompletedAt != nil {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	if took < wait || took > wait+2*time.Second {
		t.Fatalf("answered after %s, wanted about %s", took, wait)
	}
}

func TestWaitForAnOrderNotYetSeen(t *testing.T) {
	h := newHarness(t)
	id := h.order(1)
	evs := h.cook(id)
	go func() {
		time.Sleep(100 * time.Millisecond)
		h.apply(evs...)
	}()
	rec := h.do("GET", "/orders/"+id+"?wait=10s", "")
	if rec.Code != http.StatusOK {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	// Still unknown when the time runs out: 404.
	start := time.Now()
	assertProblem(t, h.do("GET", "/orders/never-placed?wait=200ms", ""), http.StatusNotFound)
	if took := time.Since(start); took < 200*time.Millisecond {
		t.Fatalf("gave up after %s", took)
	}
}

func TestWaitIsCappedAtTheMaximum(t *testing.T) {
	h := newHarness(t)
	id := h.cooked(1)
	// Completed already: a huge wait is accepted (capped) and answers at once.
	start := time.Now()
	rec := h.do("GET", "/orders/"+id+"?wait=100000h", "")
	if rec.Code != http.StatusOK || time.Since(start) > 2*time.Second {
		t.Fatalf("%d after %s: %s", rec.Code, time.Since(start), rec.Body)
	}
}
