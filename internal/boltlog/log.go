package boltlog

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/pizzeria/pizzeria/internal/pagecache"
	bolt "go.etcd.io/bbolt"
)

// Log is an open event log file. All methods are safe for concurrent use.
type Log struct {
	cfg     Config
	db      *bolt.DB
	writer  *writer
	hub     *hub
	cursors *cursors
	counts  *partitionCounts
	tails   *tails

	// ctx is cancelled by Close; every subscription derives from it.
	ctx    context.Context
	cancel context.CancelFunc

	mu     sync.RWMutex // guards closed against enter
	closed bool
	active sync.WaitGroup // calls and subscriptions using the writer or db

	closeOnce sync.Once
	closeErr  error
}

// Stats are cumulative counters of the writer since Open.
type Stats struct {
	// Transactions is the number of committed bbolt write transactions.
	Transactions uint64
	// Appended is the number of messages appended.
	Appended uint64
	// OffsetCommits is the number of consumer-group positions written.
	OffsetCommits uint64
}

// Open opens or creates the log file at cfg.Path. It fails with a wrapped
// bbolt timeout error after cfg.OpenTimeout if another process holds the file.
func Open(cfg Config) (*Log, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(cfg.Path), 0o750); err != nil {
		return nil, fmt.Errorf("boltlog: create directory: %w", err)
	}
	db, err := openBolt(cfg.Path, &bolt.Options{
		Timeout: cfg.OpenTimeout,
		// The freelist is written with every commit (a few pages, as
		// free pages are few) so that Open reads two meta pages and the
		// freelist instead of scanning the whole file: start-up time and
		// resident memory do not grow with the log.
		FreelistType: bolt.FreelistMapType,
	})
	if err != nil {
		return nil, fmt.Errorf("boltlog: open %s: %w", cfg.Path, err)
	}
	if err := safely(cfg.Path, func() error { return db.Update(initSchema) }); err != nil {
		return nil, errors.Join(fmt.Errorf("boltlog: init %s: %w", cfg.Path, err), db.Close())
	}

	l := &Log{cfg: cfg, db: db, hub: newHub(), cursors: newCursors(cfg.MaxInFlight), counts: newPartitionCounts(), tails: newTails()}
	l.ctx, l.cancel = context.WithCancel(context.Background())
	l.writer = newWriter(db, l.hub, l.counts, l.tails, &l.cfg)
	go l.writer.run()
	pagecache.Release(db)
	return l, nil
}

// Close stops every subscription (an un-acked message stays un-acked and is
// delivered again after the next Open), waits for running Publish calls,
// flushes pending consumer offsets and closes the file. It is idempotent.
func (l *Log) Close() error {
	l.closeOnce.Do(func() {
		l.mu.Lock()
		l.closed = true
		l.mu.Unlock()
		l.cancel()
		l.active.Wait()
		close(l.writer.stop)
		<-l.writer.stopped
		l.closeErr = l.db.Close()
	})
	return l.closeErr
}

// enter registers a call that needs the writer or the db; it fails once
// Close has begun. Every successful enter must be paired with l.active.Done.
func (l *Log) enter() error {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed {
		return ErrClosed
	}
	l.active.Add(1)
	return nil
}

// enterTopic is enter for a call about topic, whose name it checks first.
func (l *Log) enterTopic(topic string) error {
	if !validName(topic) {
		return ErrInvalidTopic
	}
	return l.enter()
}

// Stats returns the writer's counters.
func (l *Log) Stats() Stats {
	return Stats{
		Transactions:  l.writer.txs.Load(),
		Appended:      l.writer.appended.Load(),
		OffsetCommits: l.writer.commits.Load(),
	}
}

// Publisher returns a publisher appending to this log. Its Close only
// rejects further Publish calls; the Log stays open.
func (l *Log) Publisher() message.Publisher {
	return &publisher{log: l}
}

// Subscriber returns a subscriber consuming in the durable consumer group
// group. Its Close ends its own subscriptions; the Log stays open.
func (l *Log) Subscriber(group string) message.Subscriber {
	return newSubscriber(l, group)
}

// append commits records to topic and waits for the commit. hashes[i] picks
// the partition of records[i].
func (l *Log) append(topic string, records [][]byte, hashes []uint32, size int) error {
	if err := l.enter(); err != nil {
		return err
	}
	defer l.active.Done()
	r := &request{topic: topic, records: records, hashes: hashes, size: size, done: make(chan error, 1)}
	l.writer.reqs <- r
	if err := <-r.done; err != nil {
		return fmt.Errorf("boltlog: append to %q: %w", topic, err)
	}
	return nil
}

// commitOffset queues a cursor whose position moved for the next group
// commit, which writes the position it has then. The caller must hold an
// active registration (see enter) and have set c.queued.
func (l *Log) commitOffset(c *cursor) {
	l.writer.reqs <- &request{cursor: c}
}

// partitionCounts caches the partition count of each topic. A topic's count
// never changes once it is stored, and the count of a topic not stored yet
// is the configured one, which is what the writer will store: so a cached
// value is never stale.
type partitionCounts struct {
	mu sync.Mutex
	m  map[string]int
}

func newPartitionCounts() *partitionCounts {
	return &partitionCounts{m: make(map[string]int)}
}

func (pc *partitionCounts) get(topic string) (int, bool) {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	n, ok := pc.m[topic]
	return n, ok
}

func (pc *partitionCounts) set(topic string, n int) {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if _, ok := pc.m[topic]; !ok {
		pc.m[topic] = n
	}
}

// forNew is the count a topic that is not stored yet gets.
func (pc *partitionCounts) forNew(topic string, cfg *Config) (int, error) {
	if n, ok := pc.get(topic); ok {
		return n, nil
	}
	return cfg.partitionsFor(topic)
}

// partitions returns topic's partition count: the stored one, or for a
// topic never written the one it will get.
func (l *Log) partitions(topic string) (int, error) {
	if n, ok := l.counts.get(topic); ok {
		return n, nil
	}
	var n int
	err := l.view(func(tx *bolt.Tx) (err error) {
		if tb := topicBucket(tx, topic); tb != nil {
			n, err = storedPartitions(tb, topic)
		}
		return err
	})
	if err != nil {
		return 0, err
	}
	if n == 0 {
		if n, err = l.cfg.partitionsFor(topic); err != nil {
			return 0, err
		}
	}
	l.counts.set(topic, n)
	n, _ = l.counts.get(topic)
	return n, nil
}
