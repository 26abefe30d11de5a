package main

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestOpenSSEClientsHoldsStreamsOpen: the bench helper's clients are real
// streams, counted by the node while open and gone once stopped.
func TestOpenSSEClientsHoldsStreamsOpen(t *testing.T) {
	in := start(t, "--data-dir", t.TempDir())
	stop, err := openSSEClients(t.Context(), in.base, 200)
	if err != nil {
		t.Fatal(err)
	}
	if m := scrape(t, in.base); !strings.Contains(m, "\npizzeria_sse_streams_open 200\n") {
		t.Fatalf("want 200 open streams in /metrics:\n%s", grepLines(m, "pizzeria_sse_"))
	}
	id := placeOrder(t, in.base, 5)
	resp, err := http.Get(in.base + "/orders/" + id + "?wait=20s")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	stop()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(scrape(t, in.base), "\npizzeria_sse_streams_open 0\n") {
		if time.Now().After(deadline) {
			t.Fatal("streams still open after stop")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if m := scrape(t, in.base); !strings.Contains(m, "\npizzeria_sse_clients_dropped_total 0\n") {
		t.Fatalf("reading clients were dropped:\n%s", grepLines(m, "pizzeria_sse_"))
	}
}

func grepLines(s, prefix string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
