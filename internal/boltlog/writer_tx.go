package boltlog

import bolt "go.etcd.io/bbolt"

// apply commits appends and offsets in one transaction and, once it is
// durable, publishes the new end offsets.
func (w *writer) apply(appends []*request, offsets map[groupPartition]*cursor) error {
	ends := make(map[topicPartition]uint64)
	created := make(map[string]int)
	var appended, commits int
	err := w.db.Update(func(tx *bolt.Tx) error {
		for _, r := range appends {
			n, err := w.appendTx(tx, r, ends, created)
			if err != nil {
				return err
			}
			appended += n
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
	if err != nil {
		return err
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
		if err := b.Put(offsetKey(next), rec); err != nil {
			return 0, err
		}
		ends[tp] = next + 1
	}
	return len(r.records), nil
}
