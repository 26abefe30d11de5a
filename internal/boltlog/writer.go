package boltlog

import (
	"sync/atomic"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	bolt "go.etcd.io/bbolt"
)

// request is one unit of work for the writer: an append of one Publish
// call's records, a cursor whose position moved, or a deletion of a
// partition's prefix (trim).
type request struct {
	topic   string
	records [][]byte
	hashes  []uint32 // partitionHash of each record
	size    int
	done    chan error // buffered; nil for offset commits

	cursor *cursor
	trim   *trimOp
}

// writer is the only goroutine that writes to bbolt. It takes every request
// queued at the moment (bounded by MaxBatchRequests and MaxBatchBytes) and
// commits them in one transaction: requests arriving while a commit is
// fsyncing form the next batch, so the batch size adapts to the load without
// any added latency for publishers.
//
// Consumer offsets never wait: the latest position per group and partition is
// kept in pending and rides along with the next append, or is written on its
// own after OffsetCommitInterval when nothing is being published. A slow
// consumer therefore costs at most one transaction per interval, and a crash
// replays at most an interval's worth of acked messages.
type writer struct {
	db       *bolt.DB
	hub      *hub
	counts   *partitionCounts
	tails    *tails
	cfg      *Config
	logger   watermill.LoggerAdapter
	maxReqs  int
	maxBytes int
	interval time.Duration

	reqs    chan *request
	stop    chan struct{}
	stopped chan struct{}

	// Owned by run.
	ends    map[topicPartition]uint64 // next offset per partition
	loose   map[topicPartition]uint64 // first loose offset per partition
	pending map[groupPartition]*cursor

	txs, appended, commits atomic.Uint64
}

func newWriter(db *bolt.DB, h *hub, counts *partitionCounts, t *tails, cfg *Config) *writer {
	return &writer{
		db: db, hub: h, counts: counts, tails: t, cfg: cfg, logger: cfg.Logger,
		maxReqs: cfg.MaxBatchRequests, maxBytes: cfg.MaxBatchBytes,
		interval: cfg.OffsetCommitInterval,
		reqs:     make(chan *request, cfg.QueueSize),
		stop:     make(chan struct{}),
		stopped:  make(chan struct{}),
		ends:     make(map[topicPartition]uint64),
		loose:    make(map[topicPartition]uint64),
		pending:  make(map[groupPartition]*cursor),
	}
}

// run serves requests until stop is closed, then drains the queue and
// flushes pending offsets. The caller guarantees nothing is enqueued after
// stop is closed.
func (w *writer) run() {
	defer close(w.stopped)
	timer := time.NewTimer(w.interval)
	timer.Stop()
	var flush <-chan time.Time // armed while offsets wait alone
	for {
		select {
		case r := <-w.reqs:
			if appends := w.collect(r); len(appends) > 0 {
				w.commit(appends)
			}
			switch {
			case len(w.pending) == 0:
				timer.Stop()
				flush = nil
			case flush == nil:
				timer.Reset(w.interval)
				flush = timer.C
			}
		case <-flush:
			flush = nil
			w.commit(nil)
		case <-w.stop:
			timer.Stop()
			for {
				select {
				case r := <-w.reqs:
					w.commit(w.collect(r))
				default:
					w.commit(nil)
					return
				}
			}
		}
	}
}

// collect gathers the requests already queued behind first. Offset commits
// go to pending; the appends are returned.
func (w *writer) collect(first *request) []*request {
	var appends []*request
	size := 0
	take := func(r *request) {
		if r.done == nil {
			w.pending[r.cursor.groupPartition] = r.cursor
			return
		}
		appends = append(appends, r)
		size += r.size
	}
	take(first)
	for n := 1; n < w.maxReqs && size < w.maxBytes; n++ {
		select {
		case r := <-w.reqs:
			take(r)
		default:
			return appends
		}
	}
	return appends
}

// commit writes appends and all pending offsets in one transaction. If that
// fails, each part is retried alone so that one bad request cannot fail its
// neighbours.
func (w *writer) commit(appends []*request) {
	offsets := w.pending
	if len(appends) == 0 && len(offsets) == 0 {
		return
	}
	w.pending = make(map[groupPartition]*cursor)
	err := w.apply(appends, offsets)
	if err != nil && len(appends) > 0 && len(appends)+len(offsets) > 1 {
		for _, r := range appends {
			r.done <- w.apply([]*request{r}, nil)
		}
		if len(offsets) > 0 {
			w.offsetsDone(offsets, w.apply(nil, offsets))
		}
		return
	}
	for _, r := range appends {
		r.done <- err
	}
	w.offsetsDone(offsets, err)
}

// offsetsDone puts cursors whose positions failed to commit back into
// pending, so the next commit retries them.
func (w *writer) offsetsDone(offsets map[groupPartition]*cursor, err error) {
	if err == nil || len(offsets) == 0 {
		return
	}
	w.logger.Error("Cannot commit consumer offsets, will retry", err, watermill.LogFields{"offsets": len(offsets)})
	for gp, c := range offsets {
		w.pending[gp] = c
	}
}
