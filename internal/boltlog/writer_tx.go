package boltlog

import bolt "go.etcd.io/bbolt"

type groupTopic struct{ group, topic string }

// apply commits appends and offsets in one transaction and, once it is
// durable, publishes the new end offsets.
func (w *writer) apply(appends []*request, offsets map[groupTopic]uint64) error {
	ends := make(map[string]uint64)
	var appended, commits int
	err := w.db.Update(func(tx *bolt.Tx) error {
		for _, r := range appends {
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
