package main

import (
	"fmt"
	"io"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// soakOptions is a long open-loop run on the embedded deployment.
type soakOptions struct {
	duration time.Duration
	rate     float64 // orders offered per second, whatever the kitchen does
	pizzas   int     // per order
	every    time.Duration
}

// soakTick is the kitchen as seen at one moment of a soak.
type soakTick struct {
	elapsed                   time.Duration
	placed, completed, failed int64
	rss, heap                 int64
	diskPerPizza              float64
}

// soakResult is what a soak measured; verdicts are computed from it when
// printed, never stored.
type soakResult struct {
	opts               soakOptions
	ticks              []soakTick
	firstMinute, end   soakTick
	restartRSS         int64
	restartHeap        int64
	startup            time.Duration // SIGTERM'd process started again until GET /readyz is 200
	diskPerPizza       float64       // after the stop, every file in the data dir
	completion         []time.Duration
	firstErrs          []string
	achievedOrdersPerS float64
}

// soak runs one embedded pizzeria serve under an open-loop load for
// o.duration, printing a progress row every o.every; then it stops the
// process with SIGTERM, starts it again on the same data dir and measures
// start-up to ready and the memory right after. Memory that grows with the
// log, or a start-up that reads the whole log, shows here and nowhere in a
// short run.
func soak(binary string, o soakOptions, out io.Writer) (*soakResult, error) {
	k, err := launch(binary, deployment{name: "embedded"}, "", 0)
	if err != nil {
		return nil, err
	}
	defer k.remove()
	defer k.stop()
	if _, _, err := order(k, 1); err != nil {
		return nil, fmt.Errorf("warm-up order: %w", err)
	}
	l := &soakLoad{k: k, pizzas: o.pizzas, waiters: make(chan struct{}, soakWaiters)}
	res := &soakResult{opts: o}
	sample := func(elapsed time.Duration) soakTick {
		t := soakTick{elapsed: elapsed, placed: l.placed.Load(), completed: l.completed.Load(), failed: l.failed.Load(), rss: k.procs[0].rss()}
		t.heap, _ = heapInuse(k.procs[0].addr)
		t.diskPerPizza = float64(dirSize(k.dir)) / float64(t.placed*int64(o.pizzas)+1)
		return t
	}
	fmt.Fprintf(out, "soak: %.0f orders/s of %d pizzas for %s, open loop, embedded\n\n", o.rate, o.pizzas, o.duration)
	fmt.Fprint(out, soakProgressHeader)
	t0 := time.Now()
	scheduled := make(chan struct{})
	go func() { l.offer(o.rate, o.duration, t0); close(scheduled) }()
	ticker := time.NewTicker(o.every)
	defer ticker.Stop()
	for running := true; running; {
		select {
		case <-ticker.C:
			t := sample(time.Since(t0).Round(time.Second))
			res.ticks = append(res.ticks, t)
			if res.firstMinute.elapsed == 0 && t.elapsed >= time.Minute {
				res.firstMinute = t
			}
			fmt.Fprint(out, t.row())
		case <-scheduled:
			running = false
		}
	}
	res.achievedOrdersPerS = float64(l.offered.Load()) / time.Since(t0).Seconds()
	l.wg.Wait() // every order placed completes, or fails, before the end figures
	res.end = sample(time.Since(t0).Round(time.Second))
	fmt.Fprint(out, res.end.row())
	if res.firstMinute.elapsed == 0 { // a run shorter than a minute
		res.firstMinute = res.ticks[0]
	}
	res.completion, res.firstErrs = l.results()

	k.procs[0].stop()
	res.diskPerPizza = float64(dirSize(k.dir)) / float64(l.placed.Load()*int64(o.pizzas)+1)
	begin := time.Now()
	p, err := startProc(binary, "serve", k.dir, []string{"serve"}, nil)
	if err != nil {
		return nil, fmt.Errorf("restart: %w", err)
	}
	k.procs = []*proc{p}
	if err := waitReady(p.addr, time.Minute); err != nil {
		return nil, fmt.Errorf("restart: %w", err)
	}
	res.startup = time.Since(begin)
	res.restartRSS = p.rss()
	res.restartHeap, _ = heapInuse(p.addr)
	return res, nil
}

const soakProgressHeader = "| elapsed | orders placed | completed | failed | RSS MiB | Go heap in use MiB | disk B/pizza |\n|--:|--:|--:|--:|--:|--:|--:|\n"

func (t soakTick) row() string {
	return fmt.Sprintf("| %s | %d | %d | %d | %.0f | %.1f | %.0f |\n", t.elapsed, t.placed, t.completed, t.failed, mib(t.rss), mib(t.heap), t.diskPerPizza)
}

// soakWaiters bounds the driver's ?wait reads held open at once, below the
// server's cap on held requests (1,024 by default): when the kitchen falls
// behind, orders queue here for their turn to be watched instead of
// filling the server's slots. An order's completion time then includes
// that queue, which only fills when the kitchen is late anyway.
const soakWaiters = 512

// soakLoad places orders at a fixed rate and follows each until it
// completes. One goroutine per order (200/s is cheap); connections are
// reused through the shared client.
type soakLoad struct {
	k                         *kitchen
	pizzas                    int
	offered                   atomic.Int64 // orders started
	placed, completed, failed atomic.Int64
	waiters                   chan struct{} // a slot per ?wait held open
	wg                        sync.WaitGroup
	mu                        sync.Mutex
	done                      []time.Duration
	errs                      []string
}

// offer starts rate orders per second from t0 for d. A late wake-up starts
// the orders that are due at once, so the offered rate does not depend on
// how fast the kitchen answers.
func (l *soakLoad) offer(rate float64, d time.Duration, t0 time.Time) {
	interval := time.Duration(float64(time.Second) / rate)
	for i := 0; ; i++ {
		due := t0.Add(time.Duration(i) * interval)
		if due.Sub(t0) >= d {
			return
		}
		time.Sleep(time.Until(due))
		l.offered.Add(1)
		l.wg.Go(l.one)
	}
}

func (l *soakLoad) one() {
	t0 := time.Now()
	id, err := place(l.k, l.pizzas)
	if err == nil {
		l.placed.Add(1)
		l.waiters <- struct{}{}
		err = awaitCompleted(l.k, id, t0, 10*time.Minute)
		<-l.waiters
	}
	took := time.Since(t0)
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil {
		l.failed.Add(1)
		if len(l.errs) < 3 {
			l.errs = append(l.errs, err.Error())
		}
		return
	}
	l.completed.Add(1)
	l.done = append(l.done, took)
}

// results are the completion times, sorted, and the first errors seen.
func (l *soakLoad) results() ([]time.Duration, []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	slices.Sort(l.done)
	return l.done, l.errs
}
