package boltlog

import (
	"sync/atomic"

	"github.com/ThreeDotsLabs/watermill"
	bolt "go.etcd.io/bbolt"
)

// request is one unit of work for the writer: an append of one Publish
// call's records, or a consumer group's new position.
type request struct {
	topic   string
	records [][]byte
	size    int
	done    chan error // buffered; nil for offset commits

	group string
	next  uint64
}

// writer is the only goroutine that writes to bbolt. It takes every request
// queued at the moment (bounded by MaxBatchRequests and MaxBatchBytes) and
// commits them in one transaction: requests arriving while a commit is
// fsyncing form the next batch, so the batch size adapts to the load without
// any added latency.
type writer struct {
	db       *bolt.DB
	hub      *hub
	logger   watermill.LoggerAdapter
	maxReqs  int
	maxBytes int

	reqs    chan *request
	stop    chan struct{}
	stopped chan struct{}

	ends map[string]uint64 // next offset per topic; owned by run

	txs, appended, commits atomic.Uint64
}

func newWriter(db *bolt.DB, h *hub, cfg Config) *writer {
	return &writer{
		db: db, hub: h, logger: cfg.Logger,
		maxReqs: cfg.MaxBatchRequests, maxBytes: cfg.MaxBatchBytes,
		reqs:    make(chan *request, cfg.QueueSize),
		stop:    make(chan struct{}),
		stopped: make(chan struct{}),
		ends:    make(map[string]uint64),
	}
}

// run serves requests until stop is closed, then drains the queue. The
// caller guarantees nothing is enqueued after stop is closed.
func (w *writer) run() {
	defer close(w.stopped)
	for {
		select {
		case r := <-w.reqs:
			w.commit(w.collect(r))
		case <-w.stop:
			for {
				select {
				case r := <-w.reqs:
					w.commit(w.collect(r))
				default:
					return
				}
			}
		}
	}
}

// collect gathers the requests already queued behind first.
func (w *writer) collect(first *request) []*request {
	batch := []*request{first}
	size := first.size
	for len(batch) < w.maxReqs && size < w.maxBytes {
		select {
		case r := <-w.reqs:
			batch = append(batch, r)
			size += r.size
		default:
			return batch
		}
	}
	return batch
}

// commit writes batch in one transaction. If that fails, each request is
// retried alone so that one bad request cannot fail its neighbours.
func (w *writer) commit(batch []*request) {
	err := w.apply(batch)
	if err != nil && len(batch) > 1 {
		for _, r := range batch {
			w.commit([]*request{r})
		}
		return
	}
	for _, r := range batch {
		if r.done != nil {
			r.done <- err
		} else if err != nil {
			w.logger.Error("Cannot commit consumer offset", err,
				watermill.LogFields{"group": r.group, "topic": r.topic, "offset": r.next})
		}
	}
}

type groupTopic struct{ group, topic string }

func (w *writer) apply(batch []*request) error {
	ends := make(map[string]uint64)
	offsets := make(map[groupTopic]uint64)
	var appended, commits int
	err := w.db.Update(func(tx *bolt.Tx) error {
		for _, r := range batch {
			if r.done == nil {
				offsets[groupTopic{r.group, r.topic}] = r.next
				continue
			}
			n, err := w.appendTx(tx, r, ends)
			if err != nil {
				return err
			}
			appended += n
		}
		groups := tx.Bucket(bucketGroups)
		for gt, next := range offsets {
			g, err := groups.CreateBucketIfNotExists([]byte(gt.group))
			if err != nil {
				return err
			}
			if err := g.Put([]byte(gt.topic), offsetKey(next)); err != nil {
				return err
			}
			commits++
		}
		return nil
	})
	if err != nil {
		return err
	}
	w.txs.Add(1)
	w.appended.Add(uint64(appended))
	w.commits.Add(uint64(commits))
	for topic, end := range ends {
		w.ends[topic] = end
		w.hub.advance(topic, end)
	}
	return nil
}

// appendTx stores r's records at the end of its topic, tracking the staged
// end offsets in ends until the transaction commits.
func (w *writer) appendTx(tx *bolt.Tx, r *request, ends map[string]uint64) (int, error) {
	b, err := tx.Bucket(bucketTopics).CreateBucketIfNotExists([]byte(r.topic))
	if err != nil {
		return 0, err
	}
	b.FillPercent = 1 // keys only ever grow: pack pages full
	next, ok := ends[r.topic]
	if !ok {
		if next, ok = w.ends[r.topic]; !ok {
			if next, err = endOffsetTx(tx, r.topic); err != nil {
				return 0, err
			}
		}
	}
	for _, rec := range r.records {
		if err := b.Put(offsetKey(next), rec); err != nil {
			return 0, err
		}
		next++
	}
	ends[r.topic] = next
	return len(r.records), nil
}
