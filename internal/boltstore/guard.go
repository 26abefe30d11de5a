package boltstore

import (
	"errors"
	"fmt"
	"os"
	"runtime/debug"

	bolt "go.etcd.io/bbolt"
)

// ErrDamagedFile: a bbolt file is damaged (truncated, overwritten) so that
// bbolt itself faulted or panicked reading it. The file is left as it is.
var ErrDamagedFile = errors.New("damaged file")

// Guard runs fn, turning a panic or a memory fault inside it (bbolt reads
// its file through a memory map: a truncated file faults, garbage in a page
// panics) into an error wrapping ErrDamagedFile that names path, instead of
// a crash with a goroutine dump.
func Guard(path string, fn func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %s: %v (run pizzeria check for details)", ErrDamagedFile, path, r)
		}
	}()
	return fn()
}

// Check verifies a closed bbolt file: every value of every top-level
// bucket (with verify, if given), then the page structure (bbolt's own
// consistency check). It reports every problem it finds and writes nothing.
//
// bbolt's check runs in a goroutine of its own, where a damaged page would
// crash the process; so the file is first opened writable (which loads the
// free list here) and walked here, under Guard, and handed to bbolt's check
// only when that walk went through.
func Check(path string, verify func(bucket string, k, v []byte) error) error {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	if st.Size() == 0 {
		return fmt.Errorf("%s: %w: the file is empty (0 bytes)", path, ErrDamagedFile)
	}
	var db *bolt.DB
	err = Guard(path, func() (err error) {
		db, err = bolt.Open(path, 0o600, &bolt.Options{Timeout: OpenTimeout})
		return err
	})
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	defer db.Close()
	var problems []error
	err = Guard(path, func() error {
		return db.View(func(tx *bolt.Tx) error {
			err := tx.ForEach(func(name []byte, b *bolt.Bucket) error {
				return walk(b, func(k, v []byte) {
					if verify == nil {
						return
					}
					if err := verify(string(name), k, v); err != nil {
						problems = append(problems, fmt.Errorf("%s: %w", path, err))
					}
				})
			})
			if err != nil {
				return err
			}
			for e := range tx.Check() {
				problems = append(problems, fmt.Errorf("%s: %w: %v", path, ErrDamagedFile, e))
			}
			return nil
		})
	})
	return errors.Join(append(problems, err)...)
}

// walk visits every key of b and of the buckets nested in it.
func walk(b *bolt.Bucket, fn func(k, v []byte)) error {
	return b.ForEach(func(k, v []byte) error {
		if v == nil {
			if nested := b.Bucket(k); nested != nil {
				return walk(nested, fn)
			}
		}
		fn(k, v)
		return nil
	})
}
