package boltstore

import (
	"errors"
	"sync"
)

// ErrClosed is returned for work submitted after Close.
var ErrClosed = errors.New("store closed")

// MaxBatch bounds how many requests one transaction takes, so a backlog
// commits in steps rather than in one transaction that holds everything.
const MaxBatch = 4096

// Batcher runs the requests of many goroutines in shared transactions (group
// commit). A caller submits a request and waits; one goroutine takes every
// request waiting at that moment, runs them together and answers each. While
// a transaction commits (two fsyncs), new requests queue up and form the
// next batch, so the batch size follows the load with no timer: one request
// alone commits at once, a thousand waiting ones share one commit.
//
// run receives the batch and returns one error per request (nil for those
// that succeeded), or a single error that fails the whole batch.
type Batcher[R any] struct {
	run  func([]R) ([]error, error)
	in   chan *pending[R]
	done chan struct{}

	mu     sync.RWMutex // guards closed against sends on in
	closed bool
}

type pending[R any] struct {
	req   R
	reply chan error
}

// NewBatcher starts a batcher that runs batches with run.
func NewBatcher[R any](run func([]R) ([]error, error)) *Batcher[R] {
	b := &Batcher[R]{run: run, in: make(chan *pending[R], MaxBatch), done: make(chan struct{})}
	go b.loop()
	return b
}

// Do submits r and waits until the batch holding it has run.
func (b *Batcher[R]) Do(r R) error {
	p := &pending[R]{req: r, reply: make(chan error, 1)}
	b.mu.RLock()
	if b.closed {
		b.mu.RUnlock()
		return ErrClosed
	}
	b.in <- p
	b.mu.RUnlock()
	return <-p.reply
}

// Close runs what was submitted before it and stops. Idempotent.
func (b *Batcher[R]) Close() {
	b.mu.Lock()
	if !b.closed {
		b.closed = true
		close(b.in)
	}
	b.mu.Unlock()
	<-b.done
}

func (b *Batcher[R]) loop() {
	defer close(b.done)
	batch := make([]*pending[R], 0, MaxBatch)
	reqs := make([]R, 0, MaxBatch)
	for first := range b.in {
		batch = append(batch[:0], first)
	gather:
		for len(batch) < MaxBatch {
			select {
			case p, ok := <-b.in:
				if !ok {
					break gather
				}
				batch = append(batch, p)
			default:
				break gather
			}
		}
		reqs = reqs[:0]
		for _, p := range batch {
			reqs = append(reqs, p.req)
		}
		errs, err := b.run(reqs)
		for i, p := range batch {
			switch {
			case err != nil:
				p.reply <- err
			case i < len(errs):
				p.reply <- errs[i]
			default:
				p.reply <- nil
			}
		}
		clear(batch)
		clear(reqs)
	}
}
