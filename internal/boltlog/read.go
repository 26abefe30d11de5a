package boltlog

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"

	"github.com/ThreeDotsLabs/watermill/message"
	bolt "go.etcd.io/bbolt"
)

// readChunkBytes bounds the payload bytes one read transaction copies out.
const readChunkBytes = 4 << 20

// readChunk copies up to limit records of a partition starting at offset from
// (or at the partition's start, if a prefix was deleted and from lies in
// it) out of one short read transaction, so that no transaction stays open
// while callers process messages. It returns the offset of the first record
// and fewer records at the end of the partition. Every batch it touches is
// checked against its checksum; damage is reported with the file, topic,
// partition and offset.
func (l *Log) readChunk(tp topicPartition, from uint64, limit int) (uint64, []record, error) {
	var recs []record
	err := l.view(func(tx *bolt.Tx) error {
		tb := topicBucket(tx, tp.topic)
		if tb == nil {
			return nil
		}
		b, err := partitionBucket(tb, tp.topic, tp.partition)
		if err != nil {
			return err
		}
		start, err := partitionStart(tb, tp.topic, tp.partition)
		if err != nil {
			return err
		}
		from = max(from, start)
		return readBatches(b, from, readChunkBytes, func(off uint64, rec record) bool {
			recs = append(recs, rec)
			return len(recs) < limit
		})
	})
	if err != nil {
		return 0, nil, l.damaged(tp, from+uint64(len(recs)), err)
	}
	return from, recs, nil
}

// damaged names the file, topic, partition and offset in a read error.
func (l *Log) damaged(tp topicPartition, offset uint64, err error) error {
	return fmt.Errorf("boltlog: %s: topic %q partition %d at offset %d: %w", l.cfg.Path, tp.topic, tp.partition, offset, err)
}

// readBatches decodes the records of a partition bucket from offset from
// on, in order, calling fn with each until it returns false or the
// partition ends. With limit above 0 it also stops after the batch in
// which limit bytes of payload have been read.
func readBatches(b *bolt.Bucket, from uint64, limit int, fn func(offset uint64, rec record) bool) error {
	c := b.Cursor()
	k, v := c.Seek(offsetKey(from))
	switch {
	case k == nil:
		// from is in the last batch, or past the end.
		k, v = c.Last()
	case !bytes.Equal(k, offsetKey(from)):
		// from is inside the batch before, if any.
		if pk, pv := c.Prev(); pk != nil {
			k, v = pk, pv
		} else {
			k, v = c.First()
		}
	}
	size := 0
	want, started := uint64(0), false // where the next batch must start
	for ; k != nil; k, v = c.Next() {
		first, err := decodeOffset(k)
		if err != nil {
			return err
		}
		if started && first != want {
			return fmt.Errorf("%w: batch at offset %d where %d belongs", ErrCorruptRecord, first, want)
		}
		if !started && first > from {
			return fmt.Errorf("%w: no batch holds offset %d, the first after it starts at %d", ErrCorruptRecord, from, first)
		}
		h, err := decodeBatchHeader(k, v)
		if err != nil {
			return fmt.Errorf("batch at offset %d: %w", first, err)
		}
		want = first + h.count
		if want <= from {
			continue // the batch before from's
		}
		started = true
		body, err := h.body()
		if err != nil {
			return fmt.Errorf("batch at offset %d: %w", first, err)
		}
		more := true
		err = eachRecord(body, h.count, func(i uint64, raw []byte) error {
			off := first + i
			if off < from || !more {
				return nil
			}
			rec, err := decodeRecord(raw)
			if err != nil {
				return fmt.Errorf("offset %d: %w", off, err)
			}
			size += len(rec.payload)
			more = fn(off, rec)
			return nil
		})
		if err != nil {
			return fmt.Errorf("batch at offset %d: %w", first, err)
		}
		if !more || (limit > 0 && size >= limit) {
			return nil
		}
	}
	return nil
}

// ReadAll calls fn for every message of topic committed when it is called:
// partition by partition, each from its oldest message to its end as of the
// call, in offset order within a partition. There is no order across
// partitions (only messages with the same correlation_id share one). It
// stops at the first error from fn or ctx, or when the Log closes. Messages
// carry the same received_partition and received_offset metadata as
// deliveries, and ctx as their context; acking them has no effect. fn runs
// outside any bbolt transaction, so it may take its time.
func (l *Log) ReadAll(ctx context.Context, topic string, fn func(msg *message.Message) error) error {
	if err := l.enterTopic(topic); err != nil {
		return err
	}
	defer l.active.Done()
	ends, err := l.endOffsets(topic)
	if err != nil {
		return err
	}
	// A whole topic maps much of the file: let go of it afterwards.
	defer l.trim()
	for p, end := range ends {
		err := l.readRange(ctx, topicPartition{topic, p}, 0, end, func(_ uint64, msg *message.Message) error { return fn(msg) })
		if err != nil {
			return err
		}
	}
	return nil
}

// ReadPartition calls fn for each message of one partition of topic with an
// offset in [from, to), in order, stopping early at the partition's end, at
// the first error from fn or ctx, or when the Log closes. Messages carry
// received_partition and received_offset metadata and ctx as their context.
func (l *Log) ReadPartition(ctx context.Context, topic string, partition int, from, to uint64, fn func(offset uint64, msg *message.Message) error) error {
	if err := l.enterTopic(topic); err != nil {
		return err
	}
	defer l.active.Done()
	n, err := l.partitions(topic)
	if err != nil {
		return err
	}
	if partition < 0 || partition >= n {
		return fmt.Errorf("%w: topic %q has %d partitions, not %d", ErrInvalidPartition, topic, n, partition)
	}
	return l.readRange(ctx, topicPartition{topic, partition}, from, to, fn)
}

// readRange is ReadPartition without the checks. The caller holds an active
// registration.
func (l *Log) readRange(ctx context.Context, tp topicPartition, from, to uint64, fn func(offset uint64, msg *message.Message) error) error {
	for from < to {
		n := l.cfg.ReadAhead
		if left := to - from; left < uint64(n) {
			n = int(left)
		}
		first, recs, err := l.readChunk(tp, from, n)
		if err != nil {
			return err
		}
		from = first // past a deleted prefix
		if len(recs) == 0 {
			return nil
		}
		for _, rec := range recs {
			if l.ctx.Err() != nil {
				return ErrClosed
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			msg := rec.message(tp.partition, from)
			msg.SetContext(ctx)
			if err := fn(from, msg); err != nil {
				return err
			}
			from++
		}
	}
	return nil
}

// Partitions returns topic's partition count: the stored one, or for a
// topic never written the count it will be created with.
func (l *Log) Partitions(topic string) (int, error) {
	if err := l.enterTopic(topic); err != nil {
		return 0, err
	}
	defer l.active.Done()
	return l.partitions(topic)
}

// EndOffsets returns, per partition of topic, the offset the next message
// appended to it will get, which is also the number of messages in it. All
// partitions are read in one transaction, so the figures are one snapshot.
func (l *Log) EndOffsets(topic string) ([]uint64, error) {
	if err := l.enterTopic(topic); err != nil {
		return nil, err
	}
	defer l.active.Done()
	return l.endOffsets(topic)
}

func (l *Log) endOffsets(topic string) ([]uint64, error) {
	var ends []uint64
	err := l.view(func(tx *bolt.Tx) (err error) {
		ends, err = endOffsetsTx(tx, topic)
		return err
	})
	if err != nil || ends != nil {
		return ends, err
	}
	n, err := l.partitions(topic)
	if err != nil {
		return nil, err
	}
	return make([]uint64, n), nil
}

// Count returns the number of messages in topic (0 for an unknown topic):
// those not deleted by DeleteBefore.
func (l *Log) Count(topic string) (int64, error) {
	ends, err := l.EndOffsets(topic)
	if err != nil {
		return 0, err
	}
	starts, err := l.StartOffsets(topic)
	if err != nil {
		return 0, err
	}
	var n int64
	for p, end := range ends {
		if p < len(starts) && starts[p] < end {
			end -= starts[p]
		} else if p < len(starts) {
			end = 0
		}
		n += int64(end)
	}
	return n, nil
}

// endOffset reads the end of one partition from bbolt and teaches it to the
// hub, for a subscription that found the hub not knowing it yet.
func (l *Log) endOffset(tp topicPartition) (uint64, error) {
	var end uint64
	err := l.view(func(tx *bolt.Tx) (err error) {
		end, err = endOffsetTx(tx, tp.topic, tp.partition)
		return err
	})
	if err != nil {
		return 0, err
	}
	l.hub.learn(tp, end)
	return end, nil
}

// Committed returns group's position on each partition of topic: the next
// offset it will be delivered. It includes acks made in this process that
// the writer has not made durable yet (they will be within
// Config.OffsetCommitInterval, or on Close).
func (l *Log) Committed(group, topic string) ([]uint64, error) {
	if !validName(group) {
		return nil, ErrInvalidGroup
	}
	return l.perPartition(topic, func(n int) ([]uint64, error) { return l.committed(group, topic, n) })
}

// perPartition enters topic and returns what read reports for its n
// partitions.
func (l *Log) perPartition(topic string, read func(n int) ([]uint64, error)) ([]uint64, error) {
	if err := l.enterTopic(topic); err != nil {
		return nil, err
	}
	defer l.active.Done()
	n, err := l.partitions(topic)
	if err != nil {
		return nil, err
	}
	return read(n)
}

func (l *Log) committed(group, topic string, n int) ([]uint64, error) {
	next := make([]uint64, n)
	var missing []int
	for p := range next {
		if c := l.cursors.lookup(groupPartition{group, topic, p}); c != nil {
			next[p] = c.pos.Load()
		} else {
			missing = append(missing, p)
		}
	}
	err := l.view(func(tx *bolt.Tx) error {
		for _, p := range missing {
			var err error
			if next[p], err = committedTx(tx, group, topic, p); err != nil {
				return err
			}
		}
		// A position in a deleted prefix is the start.
		for p := range next {
			start, err := startTx(tx, topic, p)
			if err != nil {
				return err
			}
			next[p] = max(next[p], start)
		}
		return nil
	})
	return next, err
}

func (l *Log) committedDB(gp groupPartition) (uint64, error) {
	var next uint64
	err := l.view(func(tx *bolt.Tx) (err error) {
		next, err = committedTx(tx, gp.group, gp.topic, gp.partition)
		return err
	})
	return next, err
}

// Lag returns how many messages of topics group has not acked yet, summed
// over every partition.
func (l *Log) Lag(group string, topics []string) (int64, error) {
	if !validName(group) {
		return 0, ErrInvalidGroup
	}
	if err := l.enter(); err != nil {
		return 0, err
	}
	defer l.active.Done()
	var lag int64
	for _, topic := range topics {
		if !validName(topic) {
			return 0, ErrInvalidTopic
		}
		ends, err := l.endOffsets(topic)
		if err != nil {
			return 0, err
		}
		next, err := l.committed(group, topic, len(ends))
		if err != nil {
			return 0, err
		}
		for p, end := range ends {
			if end > next[p] {
				lag += int64(end - next[p])
			}
		}
	}
	return lag, nil
}

// Topics lists every topic that has ever been appended to, in byte order.
func (l *Log) Topics() ([]string, error) {
	if err := l.enter(); err != nil {
		return nil, err
	}
	defer l.active.Done()
	var topics []string
	err := l.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketTopics).ForEachBucket(func(k []byte) error {
			topics = append(topics, string(k))
			return nil
		})
	})
	return topics, err
}

// ID is the log's identity: random, given to the file when it was created
// and never changed, so that what was built from one log (views, positions)
// can tell another log, even a longer one, from it.
func (l *Log) ID() (string, error) {
	if err := l.enter(); err != nil {
		return "", err
	}
	defer l.active.Done()
	var id string
	err := l.db.View(func(tx *bolt.Tx) error {
		id = hex.EncodeToString(tx.Bucket(bucketMeta).Get(keyID))
		return nil
	})
	return id, err
}
