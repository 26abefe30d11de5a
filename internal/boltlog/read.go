package boltlog

import (
	"context"
	"fmt"

	"github.com/ThreeDotsLabs/watermill/message"
	bolt "go.etcd.io/bbolt"
)

// readChunkBytes bounds the payload bytes one read transaction copies out.
const readChunkBytes = 4 << 20

// readChunk copies up to max records of topic starting at offset from out of
// one short read transaction, so that no transaction stays open while
// callers process messages. It returns fewer records at the end of the log.
func (l *Log) readChunk(topic string, from uint64, max int) ([]record, error) {
	var recs []record
	err := l.db.View(func(tx *bolt.Tx) error {
		b := topicBucket(tx, topic)
		if b == nil {
			return nil
		}
		c := b.Cursor()
		size := 0
		for k, v := c.Seek(offsetKey(from)); k != nil && len(recs) < max && size < readChunkBytes; k, v = c.Next() {
			off, err := decodeOffset(k)
			if err != nil {
				return err
			}
			want := from + uint64(len(recs))
			if off != want {
				return fmt.Errorf("%w: topic %q has offset %d where %d belongs", ErrCorruptRecord, topic, off, want)
			}
			rec, err := decodeRecord(v)
			if err != nil {
				return fmt.Errorf("topic %q offset %d: %w", topic, off, err)
			}
			recs = append(recs, rec)
			size += len(rec.payload)
		}
		return nil
	})
	return recs, err
}

// Read calls fn for each message of topic with an offset in [from, to), in
// order, stopping early at the end of the log, at the first error from fn or
// ctx, or when the Log closes. Messages carry the same received_partition
// and received_offset metadata as deliveries; acking them has no effect.
// fn runs outside any bbolt transaction.
func (l *Log) Read(ctx context.Context, topic string, from, to uint64, fn func(offset uint64, msg *message.Message) error) error {
	if !validName(topic) {
		return ErrInvalidTopic
	}
	if err := l.enter(); err != nil {
		return err
	}
	defer l.active.Done()
	for from < to {
		n := l.cfg.ReadAhead
		if left := to - from; left < uint64(n) {
			n = int(left)
		}
		recs, err := l.readChunk(topic, from, n)
		if err != nil {
			return err
		}
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
			if err := fn(from, rec.message(from)); err != nil {
				return err
			}
			from++
		}
	}
	return nil
}

// EndOffset returns the offset the next message appended to topic will get,
// which is also the number of messages in it (0 for an unknown topic).
func (l *Log) EndOffset(topic string) (uint64, error) {
	if !validName(topic) {
		return 0, ErrInvalidTopic
	}
	if err := l.enter(); err != nil {
		return 0, err
	}
	defer l.active.Done()
	return l.endOffset(topic)
}

func (l *Log) endOffset(topic string) (uint64, error) {
	if end, ok := l.hub.end(topic); ok {
		return end, nil
	}
	var end uint64
	err := l.db.View(func(tx *bolt.Tx) (err error) {
		end, err = endOffsetTx(tx, topic)
		return err
	})
	if err != nil {
		return 0, err
	}
	l.hub.learn(topic, end)
	end, _ = l.hub.end(topic)
	return end, nil
}

// Committed returns group's position on topic: the next offset it will be
// delivered. It includes acks made in this process that the writer has not
// made durable yet (they will be within Config.OffsetCommitInterval, or on
// Close).
func (l *Log) Committed(group, topic string) (uint64, error) {
	if !validName(group) {
		return 0, ErrInvalidGroup
	}
	if !validName(topic) {
		return 0, ErrInvalidTopic
	}
	if err := l.enter(); err != nil {
		return 0, err
	}
	defer l.active.Done()
	if c := l.cursors.lookup(group, topic); c != nil {
		return c.next.Load(), nil
	}
	return l.committedDB(group, topic)
}

func (l *Log) committedDB(group, topic string) (uint64, error) {
	var next uint64
	err := l.db.View(func(tx *bolt.Tx) (err error) {
		next, err = committedTx(tx, group, topic)
		return err
	})
	return next, err
}

// Lag returns how many messages of topics group has not acked yet.
func (l *Log) Lag(group string, topics []string) (int64, error) {
	var lag int64
	for _, topic := range topics {
		end, err := l.EndOffset(topic)
		if err != nil {
			return 0, err
		}
		next, err := l.Committed(group, topic)
		if err != nil {
			return 0, err
		}
		if end > next {
			lag += int64(end - next)
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
	err := l.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketTopics).ForEachBucket(func(k []byte) error {
			topics = append(topics, string(k))
			return nil
		})
	})
	return topics, err
}
