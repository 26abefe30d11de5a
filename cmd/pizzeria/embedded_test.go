package main

import (
	"encoding/json"
	"testing"
)

// The newcomer's path: serve on the embedded default, order, watch it
// complete, stop, start again, rebuild the views offline, start again: the
// same answers, byte for byte, every time.
func TestEmbeddedOrdersSurviveRestartAndReplay(t *testing.T) {
	dir := t.TempDir()
	in := start(t, "--data-dir", dir)
	ids := []string{in.placeOrder(t, 5), in.placeOrder(t, 1), in.placeOrder(t, 3)}
	counts := []int{5, 1, 3}
	views := map[string]string{}
	for i, id := range ids {
		views[id] = string(in.awaitCompleted(t, id, counts[i]))
	}
	_, report := in.do(t, "GET", "/reports/cheese", "")
	var r struct{ Total int }
	if err := json.Unmarshal(report, &r); err != nil || r.Total != 9 {
		t.Fatalf("cheese report %s, want total 9", report)
	}
	same := func(stage string, in *instance) {
		t.Helper()
		for id, want := range views {
			if _, got := in.do(t, "GET", "/orders/"+id, ""); string(got) != want {
				t.Fatalf("%s: order %s changed:\n got %s\nwant %s", stage, id, got, want)
			}
		}
		if _, got := in.do(t, "GET", "/reports/cheese", ""); string(got) != string(report) {
			t.Fatalf("%s: report changed: %s vs %s", stage, got, report)
		}
	}
	in.stop(t)
	again := start(t, "--data-dir", dir)
	same("after restart", again)
	again.stop(t)

	if code := run(t.Context(), []string{"replay", "--data-dir", dir}, func(string) string { return "" }, discard{}, discard{}); code != 0 {
		t.Fatalf("replay exited %d", code)
	}
	third := start(t, "--data-dir", dir)
	same("after replay", third)
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
