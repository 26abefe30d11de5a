package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// A live rebuild (POST /admin/replay) while orders keep flowing loses
// nothing: every order still completes in the served views, and they equal
// what an offline rebuild of the same log produces.
func TestLiveReplayWhileOrdersFlow(t *testing.T) {
	dir := t.TempDir()
	in := start(t, "--data-dir", dir, "--admin-token", "s3cret-token")
	var ids []string
	for range 5 {
		ids = append(ids, in.placeOrder(t, 3))
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	wg.Add(1)
	placeErr := make(chan error, 1)
	go func() {
		defer wg.Done()
		for range 15 {
			resp, err := http.Post(in.base+"/orders", "application/json", strings.NewReader(`{"count":2}`))
			if err != nil {
				placeErr <- err
				return
			}
			var placed struct {
				OrderID string `json:"order_id"`
			}
			err = json.NewDecoder(resp.Body).Decode(&placed)
			resp.Body.Close()
			if err != nil || resp.StatusCode != http.StatusAccepted {
				placeErr <- fmt.Errorf("POST /orders: %s %v", resp.Status, err)
				return
			}
			mu.Lock()
			ids = append(ids, placed.OrderID)
			mu.Unlock()
		}
	}()
	for range 3 {
		req, _ := http.NewRequest("POST", in.base+"/admin/replay", nil)
		req.Header.Set("Authorization", "Bearer s3cret-token")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted && resp.StatusCode != http.StatusConflict {
			t.Fatalf("POST /admin/replay: %s", resp.Status)
		}
		in.awaitJob(t, resp.Header.Get("Location"), "Bearer s3cret-token")
	}
	wg.Wait()
	select {
	case err := <-placeErr:
		t.Fatal(err)
	default:
	}
	live := map[string]string{}
	for i, id := range ids {
		count := 3
		if i >= 5 {
			count = 2
		}
		live[id] = string(in.awaitCompleted(t, id, count))
	}
	_, report := in.do(t, "GET", "/reports/cheese", "")
	in.stop(t)

	if code := run(t.Context(), []string{"replay", "--data-dir", dir}, func(string) string { return "" }, discard{}, discard{}); code != 0 {
		t.Fatalf("offline replay exited %d", code)
	}
	again := start(t, "--data-dir", dir)
	for id, want := range live {
		if _, got := again.do(t, "GET", "/orders/"+id, ""); string(got) != want {
			t.Fatalf("order %s: live rebuild and offline rebuild differ:\n%s\n%s", id, want, got)
		}
	}
	if _, got := again.do(t, "GET", "/reports/cheese", ""); string(got) != string(report) {
		t.Fatalf("cheese report differs: %s vs %s", report, got)
	}
}

// awaitJob polls an admin job until it is no longer running; it must
// have succeeded.
func (in *instance) awaitJob(t *testing.T, loc, auth string) {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		req, _ := http.NewRequest("GET", in.base+loc, nil)
		req.Header.Set("Authorization", auth)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var job struct{ State string }
		err = json.NewDecoder(resp.Body).Decode(&job)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %s %v", loc, resp.Status, err)
		}
		switch job.State {
		case "succeeded":
			return
		case "running":
		default:
			t.Fatalf("replay job %s ended %q", loc, job.State)
		}
		if time.Now().After(deadline) {
			t.Fatalf("replay job %s still running after 60s", loc)
		}
	}
}
