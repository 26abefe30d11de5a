package main

import (
	"bufio"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// heapInuse scrapes the process's GET /metrics for the Go heap in use
// (go_memstats_heap_inuse_bytes, from client_golang's Go collector). RSS
// and the heap tell different stories: a flat heap under a growing RSS
// points at mapped files, not at leaks.
func heapInuse(addr string) (int64, error) {
	resp, err := client.Get("http://" + addr + "/metrics")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	const name = "go_memstats_heap_inuse_bytes "
	s := bufio.NewScanner(resp.Body)
	s.Buffer(nil, 1<<20)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), name); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return int64(f), err
		}
	}
	return 0, fmt.Errorf("GET /metrics has no %s(%v)", strings.TrimSpace(name), s.Err())
}

// waitReady polls GET /readyz every 10 ms until it answers 200. Ready, not
// healthy, is what a user waits for after a restart: the views are caught
// up and orders can be read.
func waitReady(addr string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	var last string
	for time.Now().Before(deadline) {
		resp, err := client.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		time.Sleep(10 * time.Millisecond)
	}
	return fmt.Errorf("not ready within %s (last: %s)", limit, last)
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }
