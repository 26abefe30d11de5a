package boltlog

import (
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// apply commits appends and offsets in one transaction and, once it is
// durable, publishes the new end offsets.
func (w *writer) apply(appends []*request, offsets map[groupPartition]*cursor) error {
	ends := make(map[topicPartition]uint64)
	created := make(map[string]int)
	var appended, commits int
	loose := make(map[topicPartition]uint64)
	err := safely(w.cfg.Path, func() error {
		return w.db.Update(func(tx *bolt.Tx) error {
			for _, r := range appends {
				if r.trim != nil {
					continue
				}
				n, err := w.appendTx(tx, r, ends, created)
				if err != nil {
					return err
				}
				appended += n
			}
			for tp, end := range ends {
				start, err := w.foldTx(tx, tp, end)
				if err != nil {
					return err
				}
				loose[tp] = start
			}
			for _, r := range appends {
				if r.trim != nil {
					if err := w.trimTx(tx, r.trim, loose); err != nil {
						return err
					}
				}
			}
			groups := tx.Bucket(bucketGroups)
			for gp, c := range offsets {
				// Clear queued before reading the position, so that an
				// ack moving it after the read queues the cursor again.
				c.queued.Store(false)
				next := c.pos.Load()
				g, err := groups.CreateBucketIfNotExists([]byte(gp.group))
				if err != nil {
					return err
				}
				t, err := g.CreateBucketIfNotExists([]byte(gp.topic))
				if err != nil {
					return err
				}
				if err := t.Put(partitionKey(gp.partition), offsetKey(next)); err != nil {
					return err
				}
				commits++
			}
			return nil
		})
	})
	if err != nil {
		return err
	}
	for _, r := range appends {
		if r.trim != nil {
			w.tails.trimmed()
			break
		}
	}
	w.txs.Add(1)
	w.appended.Add(uint64(appended))
	w.commits.Add(uint64(commits))
	for topic, n := range created {
		w.counts.set(topic, n)
	}
	for tp, end := range ends {
		w.ends[tp] = end
		w.hub.advance(tp, end)
	}
	for tp, start := range loose {
		w.loose[tp] = start
	}
	return nil
}

// appendTx stores each of r's records at the end of its partition, creating
// the topic with its configured partition count if it is new, and tracks the
// staged end offsets in ends until the transaction commits.
func (w *writer) appendTx(tx *bolt.Tx, r *request, ends map[topicPartition]uint64, created map[string]int) (int, error) {
	tb := topicBucket(tx, r.topic)
	var n int
	var err error
	if tb == nil {
		if n, err = w.counts.forNew(r.topic, w.cfg); err != nil {
			return 0, err
		}
		if tb, err = createTopic(tx, r.topic, n); err != nil {
			return 0, err
		}
		created[r.topic] = n
	} else if n, err = storedPartitions(tb, r.topic); err != nil {
		return 0, err
	}
	for i, rec := range r.records {
		p := partitionOf(r.hashes[i], n)
		b, err := partitionBucket(tb, r.topic, p)
		if err != nil {
			return 0, err
		}
		b.FillPercent = 1 // keys only ever grow: pack pages full
		tp := topicPartition{r.topic, p}
		next, ok := ends[tp]
		if !ok {
			if next, ok = w.ends[tp]; !ok {
				if next, err = endOfBucket(b); err != nil {
					return 0, err
				}
			}
		}
		key := offsetKey(next)
		if err := b.Put(key, encodeBatch(key, 1, appendBody(nil, rec), false)); err != nil {
			return 0, err
		}
		ends[tp] = next + 1
	}
	return len(r.records), nil
}

// foldTx folds the loose records at the end of tp, which ends at end, into
// compressed batches of foldRecords (or foldBytes) while there are that many,
// and returns where the loose records left at the end start.
func (w *writer) foldTx(tx *bolt.Tx, tp topicPartition, end uint64) (uint64, error) {
	b, err := partitionBucket(topicBucket(tx, tp.topic), tp.topic, tp.partition)
	if err != nil {
		return 0, err
	}
	start, ok := w.loose[tp]
	if !ok {
		if start, err = looseStart(b, end); err != nil {
			return 0, err
		}
	}
	for end-start >= foldRecords {
		if start, err = fold(b, tp, start); err != nil {
			return 0, err
		}
	}
	return start, nil
}

// looseStart finds where the run of loose records at the end of a
// partition bucket starts, for a partition the writer has not touched since
// Open. The run is shorter than foldRecords, so this reads at most that
// many values.
func looseStart(b *bolt.Bucket, end uint64) (uint64, error) {
	c := b.Cursor()
	start := end
	for k, v := c.Last(); k != nil && end-start < foldRecords; k, v = c.Prev() {
		h, err := decodeBatchHeader(k, v)
		if err != nil {
			return 0, err
		}
		if h.codec != codecNone || h.count != 1 {
			break
		}
		start--
	}
	return start, nil
}

// fold replaces the loose records from start on, up to foldRecords of them
// and foldBytes of body, by one compressed batch, and returns the offset
// after it.
func fold(b *bolt.Bucket, tp topicPartition, start uint64) (uint64, error) {
	// The stored records are read in place (valid until the bucket
	// changes) and copied once, into a body of the right size.
	var stored [][]byte
	size := 0
	c := b.Cursor()
	for k, v := c.Seek(offsetKey(start)); k != nil && len(stored) < foldRecords; k, v = c.Next() {
		want := start + uint64(len(stored))
		if off, err := decodeOffset(k); err != nil || off != want {
			return 0, fmt.Errorf("%w: topic %q partition %d: key %x where loose offset %d belongs", ErrCorruptRecord, tp.topic, tp.partition, k, want)
		}
		h, err := decodeBatchHeader(k, v)
		if err != nil {
			return 0, fmt.Errorf("topic %q partition %d offset %d: %w", tp.topic, tp.partition, want, err)
		}
		if h.codec != codecNone || h.count != 1 {
			return 0, fmt.Errorf("%w: topic %q partition %d offset %d: a batch where a loose record belongs", ErrCorruptRecord, tp.topic, tp.partition, want)
		}
		if size+len(h.stored) > foldBytes {
			if len(stored) == 0 {
				// A record of foldBytes or more stays a batch of its
				// own, uncompressed.
				return start + 1, nil
			}
			break
		}
		stored = append(stored, h.stored)
		size += len(h.stored)
	}
	if len(stored) == 0 {
		return 0, fmt.Errorf("%w: topic %q partition %d: no loose record at %d", ErrCorruptRecord, tp.topic, tp.partition, start)
	}
	body := make([]byte, 0, size)
	for _, r := range stored {
		body = append(body, r...)
	}
	for i := range stored {
		if err := b.Delete(offsetKey(start + uint64(i))); err != nil {
			return 0, err
		}
	}
	key := offsetKey(start)
	if err := b.Put(key, encodeBatch(key, len(stored), body, true)); err != nil {
		return 0, err
	}
	return start + uint64(len(stored)), nil
}
