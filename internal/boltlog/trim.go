package boltlog

import (
	bolt "go.etcd.io/bbolt"

	"github.com/pizzeria/pizzeria/internal/pagecache"
)

// trim tells the kernel that this process no longer needs the pages of the
// file it has mapped. bbolt reads through a shared memory map, so every
// page read (by a replay, or by subscriptions following the tail) stays
// resident and counts in the process's RSS, which then grows with the log.
// The pages stay in the page cache: a later read maps them again without
// touching the disk. It runs in a read transaction, which keeps bbolt from
// remapping meanwhile. Open also has it done every pagecache.Interval.
func (l *Log) trim() {
	_ = l.view(func(tx *bolt.Tx) error {
		return pagecache.Drop(l.db, tx)
	})
}
