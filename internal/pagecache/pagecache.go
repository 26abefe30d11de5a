// Package pagecache lets go of the pages a process has read through bbolt's
// memory map.
//
// bbolt reads through a shared memory map, so every page a read touched
// stays resident and counts in the process's RSS, which then grows with
// the files: the log as subscriptions follow its tail, the views as orders
// are read and folded. Dropping the mapping's resident pages now and then
// keeps RSS about what the process works on. The pages stay in the page
// cache: the next access maps them again without touching the disk.
package pagecache

import (
	"errors"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Interval is how often Release drops a file's mapped pages.
const Interval = 2 * time.Second

// Drop drops the resident pages of db's memory map. It must run inside
// tx, a read transaction on db, which keeps bbolt from remapping
// meanwhile. Safe beside other readers and writers: bbolt writes with
// pwrite, and a reader touching a dropped page maps it again.
func Drop(db *bolt.DB, tx *bolt.Tx) error {
	return dropMapped(db.Info().Data, tx.Size())
}

// Release drops db's mapped pages every Interval until db is closed.
func Release(db *bolt.DB) {
	go func() {
		t := time.NewTicker(Interval)
		defer t.Stop()
		for range t.C {
			err := db.View(func(tx *bolt.Tx) error { return Drop(db, tx) })
			if errors.Is(err, bolt.ErrDatabaseNotOpen) {
				return
			}
		}
	}()
}
