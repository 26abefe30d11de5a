package boltlog

import (
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// File layout:
//
//	meta/format            -> one byte, the layout version
//	topics/<topic>/<off>   -> record (see record.go); off is 8 bytes big endian
//	groups/<group>/<topic> -> next offset to deliver, 8 bytes big endian
var (
	bucketMeta   = []byte("meta")
	bucketTopics = []byte("topics")
	bucketGroups = []byte("groups")
	keyFormat    = []byte("format")
)

const layoutV1 byte = 1

// initSchema creates the top-level buckets and checks the layout version.
func initSchema(tx *bolt.Tx) error {
	meta, err := tx.CreateBucketIfNotExists(bucketMeta)
	if err != nil {
		return err
	}
	switch v := meta.Get(keyFormat); {
	case v == nil:
		if err := meta.Put(keyFormat, []byte{layoutV1}); err != nil {
			return err
		}
	case len(v) != 1 || v[0] != layoutV1:
		return fmt.Errorf("%w: layout %v", ErrUnsupportedFormat, v)
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

// topicBucket returns the bucket of topic, or nil if nothing was ever
// appended to it.
func topicBucket(tx *bolt.Tx, topic string) *bolt.Bucket {
	return tx.Bucket(bucketTopics).Bucket([]byte(topic))
}

// endOffsetTx is the next offset to be written to topic.
func endOffsetTx(tx *bolt.Tx, topic string) (uint64, error) {
	b := topicBucket(tx, topic)
	if b == nil {
		return 0, nil
	}
	k, _ := b.Cursor().Last()
	if k == nil {
		return 0, nil
	}
	off, err := decodeOffset(k)
	return off + 1, err
}

// committedTx is the durable position of group on topic.
func committedTx(tx *bolt.Tx, group, topic string) (uint64, error) {
	g := tx.Bucket(bucketGroups).Bucket([]byte(group))
	if g == nil {
		return 0, nil
	}
	v := g.Get([]byte(topic))
	if v == nil {
		return 0, nil
	}
	return decodeOffset(v)
}

func validName(s string) bool {
	return s != "" && len(s) <= bolt.MaxKeySize
}
