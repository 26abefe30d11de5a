package boltlog

import (
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Retention: a partition may lose a prefix of its records (DeleteBefore),
// as Kafka's DeleteRecords moves a partition's log start offset. The
// partition's start offset is then stored in its topic bucket:
//
//	topics/<topic>/start<p>  -> first offset still readable, 8 bytes big
//	                            endian; absent: 0
//
// Offsets are never reused and the end offset never moves back: whole
// batches are deleted from the front, a batch that straddles the start
// stays on disk (its records below the start are never read again), and
// the last batch of a partition always stays, since the end offset is read
// from it. Readers below the start go on from it: ReadAll and
// ReadPartition begin there, a consumer group's position below it counts as
// the start (Committed, Lag), and a subscription whose next offset was
// deleted jumps to the start once it has no message of its own in flight.

var keyStartPrefix = []byte("start")

func startKey(p int) []byte {
	return binary.BigEndian.AppendUint32(append([]byte(nil), keyStartPrefix...), uint32(p))
}

// partitionStart is the first readable offset of partition p of a topic
// bucket.
func partitionStart(tb *bolt.Bucket, topic string, p int) (uint64, error) {
	v := tb.Get(startKey(p))
	if v == nil {
		return 0, nil
	}
	off, err := decodeOffset(v)
	if err != nil {
		return 0, fmt.Errorf("topic %q partition %d start: %w", topic, p, err)
	}
	return off, nil
}

// startTx is partitionStart for a topic that may never have been written.
func startTx(tx *bolt.Tx, topic string, p int) (uint64, error) {
	tb := topicBucket(tx, topic)
	if tb == nil {
		return 0, nil
	}
	return partitionStart(tb, topic, p)
}

// StartOffsets returns, per partition of topic, the first offset still
// stored: 0 unless DeleteBefore removed a prefix.
func (l *Log) StartOffsets(topic string) ([]uint64, error) {
	return l.perPartition(topic, func(n int) ([]uint64, error) { return l.starts(topic, n) })
}

func (l *Log) starts(topic string, n int) ([]uint64, error) {
	starts := make([]uint64, n)
	err := l.view(func(tx *bolt.Tx) error {
		for p := range starts {
			var err error
			if starts[p], err = startTx(tx, topic, p); err != nil {
				return err
			}
		}
		return nil
	})
	return starts, err
}

// trimOp is a DeleteBefore request for the writer.
type trimOp struct {
	tp     topicPartition
	before uint64
	start  uint64 // set by the writer: the partition's start afterwards
}

// DeleteBefore deletes the records of one partition of topic below offset
// before (at most its end) and returns the partition's start offset
// afterwards. It goes through the writer like an append, so it commits
// durably and never races one. Consumer positions need no change: one
// below the start counts as the start.
func (l *Log) DeleteBefore(topic string, partition int, before uint64) (uint64, error) {
	if err := l.enterTopic(topic); err != nil {
		return 0, err
	}
	defer l.active.Done()
	n, err := l.partitions(topic)
	if err != nil {
		return 0, err
	}
	if partition < 0 || partition >= n {
		return 0, fmt.Errorf("%w: topic %q has %d partitions, not %d", ErrInvalidPartition, topic, n, partition)
	}
	op := &trimOp{tp: topicPartition{topic, partition}, before: before}
	r := &request{topic: topic, trim: op, done: make(chan error, 1)}
	l.writer.reqs <- r
	if err := <-r.done; err != nil {
		return 0, err
	}
	l.skipIdleCursors(op.tp, op.start)
	return op.start, nil
}

// skipIdleCursors moves the cursors on tp that have nothing in flight and
// are not reading to start, dropping what they read ahead below it, so that
// no deleted message is delivered after DeleteBefore returns. A cursor with
// messages in flight delivers those and what it read ahead, then skips the
// deleted offsets when it next reads (see subscription.claim).
func (l *Log) skipIdleCursors(tp topicPartition, start uint64) {
	l.cursors.mu.Lock()
	var on []*cursor
	for gp, c := range l.cursors.m {
		if gp.topic == tp.topic && gp.partition == tp.partition {
			on = append(on, c)
		}
	}
	l.cursors.mu.Unlock()
	for _, c := range on {
		c.mu.Lock()
		moved := !c.reading && len(c.window) == 0 && c.committed < start
		if moved {
			c.committed, c.ahead = start, nil
			c.pos.Store(start)
			c.signalLocked()
		}
		c.mu.Unlock()
		if moved && c.queued.CompareAndSwap(false, true) {
			l.commitOffset(c)
		}
	}
}

// trimTx applies op in the writer's transaction. loose holds the staged
// starts of the loose runs at partitions' ends; where the deletion reaches
// into one, its new first offset is staged there.
func (w *writer) trimTx(tx *bolt.Tx, op *trimOp, loose map[topicPartition]uint64) error {
	tb := topicBucket(tx, op.tp.topic)
	if tb == nil {
		return nil
	}
	b, err := partitionBucket(tb, op.tp.topic, op.tp.partition)
	if err != nil {
		return err
	}
	end, err := endOfBucket(b)
	if err != nil {
		return where(tx, op.tp.topic, op.tp.partition, err)
	}
	start, err := partitionStart(tb, op.tp.topic, op.tp.partition)
	if err != nil {
		return err
	}
	before := min(op.before, end)
	if before <= start {
		op.start = start
		return nil
	}
	c := b.Cursor()
	last, _ := c.Last()
	var gone [][]byte
	first := end // the first offset left on disk
	for k, v := c.First(); k != nil; k, v = c.Next() {
		off, err := decodeOffset(k)
		if err != nil {
			return where(tx, op.tp.topic, op.tp.partition, err)
		}
		h, err := decodeBatchHeader(k, v)
		if err != nil {
			return where(tx, op.tp.topic, op.tp.partition, fmt.Errorf("batch at offset %d: %w", off, err))
		}
		if off+h.count > before || string(k) == string(last) {
			first = off
			break
		}
		gone = append(gone, k)
	}
	for _, k := range gone {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	if err := tb.Put(startKey(op.tp.partition), offsetKey(before)); err != nil {
		return err
	}
	run, ok := loose[op.tp]
	if !ok {
		run, ok = w.loose[op.tp]
	}
	if ok && run < first {
		loose[op.tp] = first
	}
	op.start = before
	return nil
}
