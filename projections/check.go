package projections

import (
	"fmt"
	"os"
	"path/filepath"

	bolt "go.etcd.io/bbolt"

	"github.com/pizzeria/pizzeria/internal/boltstore"
)

// Check verifies the views in dir, which no process may hold open: bbolt's
// own consistency check of the served file and the checksum and shape of
// every record. Every problem found is reported; nil means sound.
func Check(dir string) error {
	path, err := servedPath(dir)
	if err != nil {
		return err
	}
	return boltstore.Check(path, func(bucket string, k, v []byte) error {
		switch bucket {
		case string(bucketOrders):
			_, err := decodeOrder(string(k), v)
			return err
		case string(bucketCheese):
			_, err := readCount(string(k), v)
			return err
		}
		return nil
	})
}

// servedPath is the file CURRENT names, which must exist.
func servedPath(dir string) (string, error) {
	gen, err := readCurrent(dir)
	if err != nil {
		return "", err
	}
	path := genPath(dir, gen)
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("views: %s names generation %d, but %w", filepath.Join(dir, currentFile), gen, err)
	}
	return path, nil
}

// FileLogID reads, from the stopped views in dir, the identity of the log
// they were built from; empty if none was recorded.
func FileLogID(dir string) (string, error) {
	path, err := servedPath(dir)
	if err != nil {
		return "", err
	}
	var id string
	err = boltstore.Guard(path, func() error {
		db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: boltstore.OpenTimeout})
		if err != nil {
			return err
		}
		defer db.Close()
		return db.View(func(tx *bolt.Tx) error {
			if meta := tx.Bucket(bucketMeta); meta != nil {
				id = string(meta.Get(keyLogID))
			}
			return nil
		})
	})
	return id, err
}
