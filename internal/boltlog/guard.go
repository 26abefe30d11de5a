package boltlog

import (
	"errors"
	"fmt"
	"os"
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

// openBolt opens a bbolt file safely. If bbolt panics or faults while
// opening a damaged file, the file it opened is closed, so that its lock is
// not held for the rest of the process; but since the file stays mapped,
// that still holds it, preflight first refuses the damage bbolt would fault
// on while opening. An existing empty file is refused too: bbolt would
// silently make a new database of it, and for a log that means starting
// over from nothing.
func openBolt(path string, opts *bolt.Options) (*bolt.DB, error) {
	if err := preflight(path); err != nil {
		return nil, err
	}
	var f *os.File
	o := *opts
	// Load the freelist now, inside safely, not lazily in the first
	// transaction.
	o.PreLoadFreelist = true
	o.OpenFile = func(name string, flag int, perm os.FileMode) (*os.File, error) {
		var err error
		f, err = os.OpenFile(name, flag, perm)
		return f, err
	}
	var db *bolt.DB
	err := safely(path, func() (err error) {
		db, err = bolt.Open(path, 0o600, &o)
		return err
	})
	if errors.Is(err, ErrCorruptFile) && f != nil {
		_ = f.Close()
	}
	return db, err
}
