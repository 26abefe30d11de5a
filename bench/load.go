package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"
)

// shape is a load: orders of pizzas each.
type shape struct{ orders, pizzas int }

func (s shape) String() string { return fmt.Sprintf("%d × %d", s.orders, s.pizzas) }

// sample is what one run measured.
type sample struct {
	took             time.Duration // first POST to last completion
	post, completion []time.Duration
	cpuPct           float64
	peakRSS          int64
	diskPerPizza     float64
	driverCPUPct     float64 // the bench's own CPU, where a row measures it
}

// client places and reads orders for every row.
var client = newClient(256)

// order places one order and waits until its view says completed.
func order(k *kitchen, pizzas int) (post, completion time.Duration, err error) {
	t0 := time.Now()
	id, err := place(k, pizzas)
	if err != nil {
		return 0, 0, err
	}
	post = time.Since(t0)
	if err := awaitCompleted(k, id, t0, time.Minute); err != nil {
		return 0, 0, err
	}
	return post, time.Since(t0), nil
}

// place POSTs one order and returns its id.
func place(k *kitchen, pizzas int) (string, error) {
	resp, err := client.Post(k.place+"/orders", "application/json", bytes.NewReader(fmt.Appendf(nil, `{"count":%d}`, pizzas)))
	if err != nil {
		return "", err
	}
	var placed struct {
		OrderID string `json:"order_id"`
	}
	err = json.NewDecoder(resp.Body).Decode(&placed)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusAccepted {
		return "", fmt.Errorf("POST /orders: %s %v", resp.Status, err)
	}
	return placed.OrderID, nil
}

// awaitCompleted reads the order with ?wait= until its view says
// completed, for at most limit after placed. A node that has every wait
// slot taken (503) or this address busy (429) is asked again shortly: that
// is the driver's crowd, not the kitchen failing.
func awaitCompleted(k *kitchen, id string, placed time.Time, limit time.Duration) error {
	for {
		resp, err := client.Get(k.read + "/orders/" + id + "?wait=60s")
		if err != nil {
			return err
		}
		var view struct {
			Status string `json:"status"`
		}
		if resp.StatusCode == http.StatusOK {
			err = json.NewDecoder(resp.Body).Decode(&view)
		}
		resp.Body.Close()
		switch {
		case time.Since(placed) > limit:
			return fmt.Errorf("order %s not completed within %s (last: %s %q)", id, limit, resp.Status, view.Status)
		case resp.StatusCode == http.StatusNotFound:
			// A query node of its own may not have seen the order yet.
			time.Sleep(5 * time.Millisecond)
		case resp.StatusCode == http.StatusServiceUnavailable || resp.StatusCode == http.StatusTooManyRequests:
			time.Sleep(100 * time.Millisecond)
		case resp.StatusCode != http.StatusOK || err != nil:
			return fmt.Errorf("GET /orders/%s: %s %v", id, resp.Status, err)
		case view.Status == "completed":
			return nil
		}
		// Not completed yet: the server may cap ?wait below what was asked.
	}
}

// closedLoop runs s with clients placing orders one after another, each
// waiting for its order to complete before placing the next.
func closedLoop(k *kitchen, s shape, clients int) (sample, error) {
	return drive(k, s, func(start func(i int)) {
		next := make(chan int)
		var wg sync.WaitGroup
		for range clients {
			wg.Go(func() {
				for i := range next {
					start(i)
				}
			})
		}
		for i := range s.orders {
			next <- i
		}
		close(next)
		wg.Wait()
	})
}

// openLoop offers s at a fixed rate of orders per second, whatever the
// kitchen does: latency under a steady load, not at saturation.
func openLoop(k *kitchen, s shape, rate float64) (sample, error) {
	return drive(k, s, func(start func(i int)) {
		var wg sync.WaitGroup
		interval := time.Duration(float64(time.Second) / rate)
		t0 := time.Now()
		for i := range s.orders {
			time.Sleep(time.Until(t0.Add(time.Duration(i) * interval)))
			wg.Go(func() { start(i) })
		}
		wg.Wait()
	})
}

func drive(k *kitchen, s shape, schedule func(start func(i int))) (sample, error) {
	// One order through every stage before the clock starts: Kafka
	// consumer groups take a while to join, which is start-up, not
	// throughput.
	if _, _, err := order(k, 1); err != nil {
		return sample{}, fmt.Errorf("warm-up order: %w", err)
	}
	out := sample{post: make([]time.Duration, s.orders), completion: make([]time.Duration, s.orders)}
	var mu sync.Mutex
	var firstErr error
	cpu0, t0 := k.cpuTicks(), time.Now()
	schedule(func(i int) {
		post, done, err := order(k, s.pizzas)
		mu.Lock()
		defer mu.Unlock()
		if err != nil && firstErr == nil {
			firstErr = err
		}
		out.post[i], out.completion[i] = post, done
	})
	out.took = time.Since(t0)
	out.cpuPct = float64(k.cpuTicks()-cpu0) / clockTicks / out.took.Seconds() * 100
	out.peakRSS = k.peakRSS()
	slices.Sort(out.post)
	slices.Sort(out.completion)
	return out, firstErr
}

func pct(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	return d[min(len(d)-1, int(float64(len(d))*p))]
}
