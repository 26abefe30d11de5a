package projections

import (
	"crypto/sha256"
	"encoding/hex"

	bolt "go.etcd.io/bbolt"
)

// Digest is a hash of every view's keys and values (not of the consumer
// positions, which say how the views were fed, not what they hold). Two stores with the same
// digest serve the same answers; replay is checked against it.
func (s *Store) Digest() (string, error) {
	h := sha256.New()
	err := s.view(func(tx *bolt.Tx) error {
		for _, name := range viewBuckets {
			h.Write(name)
			err := tx.Bucket(name).ForEach(func(k, v []byte) error {
				h.Write([]byte{0})
				h.Write(k)
				h.Write([]byte{1})
				h.Write(v)
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	return hex.EncodeToString(h.Sum(nil)), err
}
