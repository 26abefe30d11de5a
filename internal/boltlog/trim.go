package boltlog

import (
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/pizzeria/pizzeria/internal/pagecache"
)

// trimInterval is how often a Log lets go of the file pages it has read.
const trimInterval = pagecache.Interval

// trim tells the kernel that this process no longer needs the pages of the
// file it has mapped. bbolt reads through a shared memory map, so every
// page read (by a replay, or by subscriptions following the tail) stays
// resident and counts in the process's RSS, which then grows with the log.
// The pages stay in the page cache: a later read maps them again without
// touching the disk. It runs in a read transaction, which keeps bbolt from
// remapping meanwhile.
func (l *Log) trim() {
	_ = l.view(func(tx *bolt.Tx) error {
		return pagecache.Drop(l.db, tx)
	})
}

// trimLoop trims every trimInterval until the Log closes.
func (l *Log) trimLoop() {
	defer close(l.trimmed)
	t := time.NewTicker(trimInterval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			l.trim()
		case <-l.ctx.Done():
			return
		}
	}
}
