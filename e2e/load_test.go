//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Load places orders from several concurrent clients, as a careful client
// would: every order carries an Idempotency-Key, and on a connection error
// or a 5xx the client sends the same key again until it gets a 202. Now and
// then it re-sends a key that already got its 202, as a client that lost the
// answer would. Every 202 is recorded per key.
type Load struct {
	API        *API
	Clients    int
	KeyPrefix  string
	MaxCount   int           // pizzas per order: 1..MaxCount
	Pause      time.Duration // between a client's orders
	KeyTimeout time.Duration // how long one key may take to be accepted
	V          *Violations

	mu       sync.Mutex
	accepted map[string]*keyResult // by Idempotency-Key
	retries  atomic.Int64          // requests sent again after a failure
	failures atomic.Int64          // connection errors and 5xx answers seen
}

type keyResult struct {
	count int
	ids   map[string]int // order ids answered for this key, and how often
}

// Run places orders until stop is closed or ctx ends; it returns once every
// client has finished its current key.
func (l *Load) Run(ctx context.Context, stop <-chan struct{}) {
	l.accepted = map[string]*keyResult{}
	var wg sync.WaitGroup
	for c := range l.Clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l.client(ctx, c, stop)
		}()
	}
	wg.Wait()
}

func (l *Load) client(ctx context.Context, c int, stop <-chan struct{}) {
	for seq := 0; ; seq++ {
		select {
		case <-stop:
			return
		case <-ctx.Done():
			return
		default:
		}
		key := l.KeyPrefix + "c" + strconv.Itoa(c) + "-" + strconv.Itoa(seq)
		count := 1 + rand.IntN(l.MaxCount)
		if !l.place(ctx, key, count) {
			continue
		}
		if rand.IntN(10) == 0 { // the answer was "lost": ask again
			l.place(ctx, key, count)
		}
		select {
		case <-time.After(l.Pause/2 + rand.N(l.Pause)):
		case <-stop:
			return
		}
	}
}

// place sends key until it is accepted, within KeyTimeout, and records
// the order id. It reports whether the key was accepted.
func (l *Load) place(ctx context.Context, key string, count int) bool {
	ctx, cancel := context.WithTimeout(ctx, l.KeyTimeout)
	defer cancel()
	for attempt := 0; attempt < 10_000; attempt++ {
		if attempt > 0 {
			l.retries.Add(1)
			select {
			case <-time.After(100*time.Millisecond + rand.N(200*time.Millisecond)):
			case <-ctx.Done():
			}
		}
		if ctx.Err() != nil {
			break
		}
		id, r, err := l.API.PlaceOrder(ctx, count, key)
		switch {
		case err != nil && r.Status == 0: // connection refused, reset, timeout
			l.failures.Add(1)
			continue
		case r.Status >= 500:
			l.failures.Add(1)
			continue
		case err != nil || r.Status != 202:
			l.V.Addf("POST /orders key %s count %d: %v %s", key, count, err, r)
			return false
		}
		l.record(key, count, id)
		return true
	}
	l.V.Addf("key %s (count %d) not accepted within %s", key, count, l.KeyTimeout)
	return false
}

func (l *Load) record(key string, count int, id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	k := l.accepted[key]
	if k == nil {
		k = &keyResult{count: count, ids: map[string]int{}}
		l.accepted[key] = k
	}
	k.ids[id]++
}

// Orders checks that every key named one order and returns the accepted
// orders (id → count) and how many keys were answered more than once.
func (l *Load) Orders() (orders map[string]int, repeated int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	orders = map[string]int{}
	for key, k := range l.accepted {
		if len(k.ids) != 1 {
			l.V.Addf("Idempotency-Key %s yielded %d order ids: %v", key, len(k.ids), k.ids)
		}
		for id, n := range k.ids {
			if prev, dup := orders[id]; dup {
				l.V.Addf("order id %s answered for two keys (counts %d and %d)", id, prev, k.count)
			}
			orders[id] = k.count
			if n > 1 {
				repeated++
			}
		}
	}
	return orders, repeated
}

func (l *Load) String() string {
	return fmt.Sprintf("%d keys accepted, %d retried requests, %d connection errors or 5xx", len(l.accepted), l.retries.Load(), l.failures.Load())
}
