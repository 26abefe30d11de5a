package boltlog

import (
	"fmt"
	"runtime/debug"

	bolt "go.etcd.io/bbolt"
)

// safely runs fn, turning a panic or a memory fault inside it into an error
// wrapping ErrCorruptFile. bbolt reads its file through a memory map and
// trusts what it finds there: a truncated file faults, and garbage in a
// page makes bbolt panic. Neither may take the process down; both mean the
// file is damaged. bbolt's View and Update roll their transaction back as
// the panic passes, so the DB stays usable for the parts that are sound.
func safely(path string, fn func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: %s: %v", ErrCorruptFile, path, p)
		}
	}()
	return fn()
}

// view runs fn in a read transaction, safely.
func (l *Log) view(fn func(*bolt.Tx) error) error {
	return safely(l.cfg.Path, func() error { return l.db.View(fn) })
}
