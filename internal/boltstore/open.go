// Package boltstore holds the small bbolt-backed stores of the command side
// and the helpers every bbolt user here shares.
package boltstore

import (
	"github.com/pizzeria/pizzeria/internal/pagecache"

	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

// BatchDelay is how long a DB.Batch call waits for others to join its
// transaction. bbolt's 10ms default suits many writers; here a handful of
// handlers each write one event at a time and wait for it, so a long delay
// would cap every handler at a hundred events a second.
const BatchDelay = time.Millisecond

// OpenTimeout bounds how long Open waits for another process to release a
// file: bbolt allows one writer process per file.
const OpenTimeout = 5 * time.Second

// Open opens (creating if needed) the bbolt file at path with the buckets
// given, failing clearly when another process holds it.
func Open(path string, buckets ...[]byte) (*bolt.DB, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	var db *bolt.DB
	err := Guard(path, func() (err error) {
		db, err = bolt.Open(path, 0o600, &bolt.Options{Timeout: OpenTimeout})
		return err
	})
	if err != nil {
		if err == bolt.ErrTimeout {
			return nil, fmt.Errorf("open %s: another process holds it (is pizzeria already running with this data dir?)", path)
		}
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db.MaxBatchDelay = BatchDelay
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range buckets {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("prepare %s: %w", path, err)
	}
	// Every read maps pages that would stay resident as the file grows.
	pagecache.Release(db)
	return db, nil
}
