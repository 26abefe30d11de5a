package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"slices"
	"sync"
	"time"
)

// benchConfig sizes a benchmark: clients place orders concurrently over
// HTTP and each waits (?wait=) until its order is completed.
type benchConfig struct {
	orders, pizzas, clients, runs int
	cpuProfile, memProfile, trace string
}

func (b *benchConfig) register(fs *flag.FlagSet) {
	fs.IntVar(&b.orders, "orders", 200, "orders per run")
	fs.IntVar(&b.pizzas, "pizzas", 5, "pizzas per order")
	fs.IntVar(&b.clients, "clients", 8, "concurrent HTTP clients")
	fs.IntVar(&b.runs, "runs", 3, "runs; figures are reported per run and as medians")
	fs.StringVar(&b.cpuProfile, "cpuprofile", "", "write a CPU profile of the runs to this file")
	fs.StringVar(&b.memProfile, "memprofile", "", "write a profile of the live heap at the end of each run to this file")
	fs.StringVar(&b.trace, "trace", "", "write an execution trace of the runs to this file (go tool trace; -pprof=sync shows where the pipeline waits)")
}

type benchRun struct {
	took       time.Duration
	p50, p95   time.Duration
	heapBefore uint64 // live heap after the warm-up order
	heapAfter  uint64 // live heap after the last order
}

// runBench measures the whole kitchen end to end, every role in this
// process on a fresh data directory per run: orders per second from the
// first POST to the last completion, and per-order latency from POST to
// completed view. The machine is shared and noisy: read the medians.
func runBench(ctx context.Context, cfg *config, b benchConfig, stdout io.Writer) error {
	if b.orders < 1 || b.pizzas < 1 || b.clients < 1 || b.runs < 1 {
		return fmt.Errorf("%w: --orders, --pizzas, --clients and --runs must be positive", errUsage)
	}
	stopProfile, err := startRecording(b.cpuProfile, pprof.StartCPUProfile, pprof.StopCPUProfile)
	if err != nil {
		return err
	}
	defer stopProfile()
	stopTrace, err := startRecording(b.trace, trace.Start, trace.Stop)
	if err != nil {
		return err
	}
	defer stopTrace()
	fmt.Fprintf(stdout, "bench: %d orders × %d pizzas, %d clients, broker %s, %d runs\n", b.orders, b.pizzas, b.clients, cfg.Broker, b.runs)
	var runs []benchRun
	for i := 1; i <= b.runs; i++ {
		r, err := benchOnce(ctx, *cfg, b, i)
		if err != nil {
			return fmt.Errorf("run %d: %w", i, err)
		}
		runs = append(runs, r)
		fmt.Fprintf(stdout, "run %d: %6.0f orders/s %7.0f pizzas/s  latency p50 %v p95 %v  live heap %.1f → %.1f MiB\n", i,
			float64(b.orders)/r.took.Seconds(), float64(b.orders*b.pizzas)/r.took.Seconds(), r.p50.Round(time.Millisecond), r.p95.Round(time.Millisecond),
			mib(r.heapBefore), mib(r.heapAfter))
	}
	med := func(f func(benchRun) float64) float64 {
		v := make([]float64, len(runs))
		for i, r := range runs {
			v[i] = f(r)
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	rate := med(func(r benchRun) float64 { return float64(b.orders) / r.took.Seconds() })
	fmt.Fprintf(stdout, "median: %.0f orders/s, %.0f pizzas/s, %.0f events/s; latency p50 %v, p95 %v\n",
		rate, rate*float64(b.pizzas), rate*float64(5*b.pizzas+2),
		time.Duration(med(func(r benchRun) float64 { return float64(r.p50) })).Round(time.Millisecond),
		time.Duration(med(func(r benchRun) float64 { return float64(r.p95) })).Round(time.Millisecond))
	return nil
}

func benchOnce(ctx context.Context, cfg config, b benchConfig, run int) (benchRun, error) {
	dir, err := os.MkdirTemp("", "pizzeria-bench-")
	if err != nil {
		return benchRun{}, err
	}
	defer os.RemoveAll(dir)
	cfg.DataDir = dir
	cfg.TopicPrefix = fmt.Sprintf("bench-%d-%d-", time.Now().Unix(), run)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	p, err := build(ctx, &cfg, allRoles(), logger)
	if err != nil {
		return benchRun{}, err
	}
	defer p.Close()
	s, err := p.start(ctx, "127.0.0.1:0")
	if err != nil {
		return benchRun{}, err
	}
	defer s.stop(cfg.ShutdownTimeout)
	base := "http://" + s.addr
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: b.clients}, Timeout: 2 * time.Minute}

	// One order through the whole kitchen before the clock starts: on Kafka
	// the consumer groups take seconds to join, which is start-up, not
	// throughput.
	if err := placeAndWait(client, base, 1); err != nil {
		return benchRun{}, fmt.Errorf("warm-up order: %w", err)
	}
	heapBefore := liveHeap()
	latencies := make([]time.Duration, b.orders)
	next := make(chan int)
	errs := make(chan error, b.clients)
	var wg sync.WaitGroup
	start := time.Now()
	for range b.clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				t0 := time.Now()
				if err := placeAndWait(client, base, b.pizzas); err != nil {
					errs <- err
					return
				}
				latencies[i] = time.Since(t0)
			}
		}()
	}
	func() {
		defer close(next)
		for i := range b.orders {
			select {
			case next <- i:
			case err := <-errs:
				errs <- err
				return
			}
		}
	}()
	wg.Wait()
	took := time.Since(start)
	select {
	case err := <-errs:
		return benchRun{}, err
	default:
	}
	slices.Sort(latencies)
	return benchRun{took: took, p50: latencies[len(latencies)/2], p95: latencies[len(latencies)*95/100],
		heapBefore: heapBefore, heapAfter: liveHeap()}, writeHeapProfile(b.memProfile)
}

// startRecording starts a CPU profile or an execution trace into the file
// at path (none if path is empty); the function it returns stops it.
func startRecording(path string, start func(io.Writer) error, stop func()) (func(), error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := start(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		stop()
		f.Close()
	}, nil
}

func writeHeapProfile(path string) error {
	if path == "" {
		return nil
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return pprof.WriteHeapProfile(f)
}

// liveHeap is the heap still in use after a full collection: what the
// process holds on to. It should not grow with the number of orders.
func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }

func placeAndWait(client *http.Client, base string, pizzas int) error {
	body, _ := json.Marshal(map[string]int{"count": pizzas})
	resp, err := client.Post(base+"/orders", "application/json", bytes.NewReader(body))
	if err != nil {
		return err
	}
	var placed struct {
		OrderID string `json:"order_id"`
	}
	err = json.NewDecoder(resp.Body).Decode(&placed)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusAccepted {
		return fmt.Errorf("POST /orders: %s %v", resp.Status, err)
	}
	resp, err = client.Get(base + "/orders/" + placed.OrderID + "?wait=60s")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var view struct {
		Status string `json:"status"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&view); err != nil {
		return err
	}
	if view.Status != "completed" {
		return errors.New("order " + placed.OrderID + " not completed within 60s")
	}
	return nil
}
