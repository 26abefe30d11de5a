package boltlog

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// File layout (version 3):
//
//	meta/format                      -> one byte, the layout version
//	meta/id                          -> the log's identity: 16 random bytes,
//	                                    written once, when the file is new
//	topics/<topic>/partitions        -> partition count, 4 bytes big endian
//	topics/<topic>/start<p>          -> first readable offset of partition p
//	                                    (see retention.go); absent: 0
//	topics/<topic>/<p>/<off>         -> batch of records from offset off on
//	                                    (see batch.go); p is a bucket named
//	                                    by 4 bytes big endian, off is 8
//	                                    bytes big endian; offsets are dense
//	                                    from 0 across batches
//	groups/<group>/<topic>/<p>       -> next offset to deliver, 8 bytes big endian
//
// Version 2 stored one unchecked record per key; version 1 kept every topic
// as a single partition. Neither is read by this version: Open rejects such
// a file with ErrUnsupportedFormat.
var (
	bucketMeta    = []byte("meta")
	bucketTopics  = []byte("topics")
	bucketGroups  = []byte("groups")
	keyFormat     = []byte("format")
	keyID         = []byte("id")
	keyPartitions = []byte("partitions")
)

const (
	layoutV1 byte = 1 // single-partition topics; no longer readable
	layoutV2 byte = 2 // one unchecked record per key; no longer readable
	layoutV3 byte = 3 // checksummed, compressed record batches
)

// initSchema creates the top-level buckets and checks the layout version.
func initSchema(tx *bolt.Tx) error {
	meta, err := tx.CreateBucketIfNotExists(bucketMeta)
	if err != nil {
		return err
	}
	switch v := meta.Get(keyFormat); {
	case v == nil:
		if err := meta.Put(keyFormat, []byte{layoutV3}); err != nil {
			return err
		}
	case len(v) == 1 && (v[0] == layoutV1 || v[0] == layoutV2):
		return fmt.Errorf("%w: layout %d was written by an earlier version; this version reads layout %d only: "+
			"move the file away to start an empty log (the views are rebuilt from the new log)", ErrUnsupportedFormat, v[0], layoutV3)
	case len(v) != 1 || v[0] != layoutV3:
		return fmt.Errorf("%w: layout %v, this version reads layout %d only", ErrUnsupportedFormat, v, layoutV3)
	}
	if meta.Get(keyID) == nil {
		id := make([]byte, 16)
		if _, err := rand.Read(id); err != nil {
			return err
		}
		if err := meta.Put(keyID, id); err != nil {
			return err
		}
	}
	for _, name := range [][]byte{bucketTopics, bucketGroups} {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return err
		}
	}
	return nil
}

func offsetKey(off uint64) []byte {
	return binary.BigEndian.AppendUint64(make([]byte, 0, 8), off)
}

func decodeOffset(b []byte) (uint64, error) {
	if len(b) != 8 {
		return 0, fmt.Errorf("%w: offset of %d bytes", ErrCorruptRecord, len(b))
	}
	return binary.BigEndian.Uint64(b), nil
}

func partitionKey(p int) []byte {
	return binary.BigEndian.AppendUint32(make([]byte, 0, 4), uint32(p))
}

// topicBucket returns the bucket of topic, or nil if nothing was ever
// appended to it.
func topicBucket(tx *bolt.Tx, topic string) *bolt.Bucket {
	return tx.Bucket(bucketTopics).Bucket([]byte(topic))
}

// storedPartitions returns the partition count stored with a topic bucket.
func storedPartitions(tb *bolt.Bucket, topic string) (int, error) {
	v := tb.Get(keyPartitions)
	if len(v) != 4 {
		return 0, fmt.Errorf("%w: topic %q has a partition count of %d bytes", ErrCorruptRecord, topic, len(v))
	}
	n := binary.BigEndian.Uint32(v)
	if n == 0 || n > MaxPartitions {
		return 0, fmt.Errorf("%w: topic %q has %d partitions", ErrCorruptRecord, topic, n)
	}
	return int(n), nil
}

// createTopic creates topic's bucket with n empty partitions.
func createTopic(tx *bolt.Tx, topic string, n int) (*bolt.Bucket, error) {
	tb, err := tx.Bucket(bucketTopics).CreateBucket([]byte(topic))
	if err != nil {
		return nil, err
	}
	if err := tb.Put(keyPartitions, binary.BigEndian.AppendUint32(nil, uint32(n))); err != nil {
		return nil, err
	}
	for p := range n {
		if _, err := tb.CreateBucket(partitionKey(p)); err != nil {
			return nil, err
		}
	}
	return tb, nil
}

// partitionBucket returns partition p of a topic bucket.
func partitionBucket(tb *bolt.Bucket, topic string, p int) (*bolt.Bucket, error) {
	b := tb.Bucket(partitionKey(p))
	if b == nil {
		return nil, fmt.Errorf("%w: topic %q has no partition %d", ErrCorruptRecord, topic, p)
	}
	return b, nil
}

// endOffsetTx is the next offset to be written to partition p of topic.
func endOffsetTx(tx *bolt.Tx, topic string, p int) (uint64, error) {
	tb := topicBucket(tx, topic)
	if tb == nil {
		return 0, nil
	}
	b, err := partitionBucket(tb, topic, p)
	if err != nil {
		return 0, err
	}
	end, err := endOfBucket(b)
	return end, where(tx, topic, p, err)
}

// where names the file, topic and partition of a damaged record.
func where(tx *bolt.Tx, topic string, p int, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: topic %s partition %d: %w", tx.DB().Path(), topic, p, err)
}

// endOfBucket is the offset after the last record of a partition bucket.
func endOfBucket(b *bolt.Bucket) (uint64, error) {
	k, v := b.Cursor().Last()
	if k == nil {
		return 0, nil
	}
	off, err := decodeOffset(k)
	if err != nil {
		return 0, err
	}
	h, err := decodeBatchHeader(k, v)
	if err != nil {
		return 0, fmt.Errorf("offset %d: %w", off, err)
	}
	return off + h.count, nil
}

// endOffsetsTx returns the end offset of every partition of topic, or nil
// for a topic never appended to.
func endOffsetsTx(tx *bolt.Tx, topic string) ([]uint64, error) {
	tb := topicBucket(tx, topic)
	if tb == nil {
		return nil, nil
	}
	n, err := storedPartitions(tb, topic)
	if err != nil {
		return nil, err
	}
	ends := make([]uint64, n)
	for p := range n {
		b, err := partitionBucket(tb, topic, p)
		if err != nil {
			return nil, err
		}
		if ends[p], err = endOfBucket(b); err != nil {
			return nil, where(tb.Tx(), topic, p, err)
		}
	}
	return ends, nil
}

// committedTx is the durable position of group on partition p of topic: a
// position in a deleted prefix (see DeleteBefore), or none, is the
// partition's start.
func committedTx(tx *bolt.Tx, group, topic string, p int) (uint64, error) {
	start, err := startTx(tx, topic, p)
	if err != nil {
		return 0, err
	}
	g := tx.Bucket(bucketGroups).Bucket([]byte(group))
	if g == nil {
		return start, nil
	}
	t := g.Bucket([]byte(topic))
	if t == nil {
		return start, nil
	}
	v := t.Get(partitionKey(p))
	if v == nil {
		return start, nil
	}
	next, err := decodeOffset(v)
	return max(next, start), err
}

func validName(s string) bool {
	return s != "" && len(s) <= bolt.MaxKeySize
}
