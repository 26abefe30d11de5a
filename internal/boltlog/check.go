package boltlog

import (
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"time"

	bolt "go.etcd.io/bbolt"
)

// maxCheckErrors bounds how many problems Check reports.
const maxCheckErrors = 20

// Check verifies the log file at path: every batch of every partition
// against its checksum, their offsets against each other, every stored
// consumer position, and then bbolt's own consistency check of its pages.
// It returns nil for a sound file, or an error joining up to
// maxCheckErrors problems, each naming what is damaged (records wrap
// ErrCorruptRecord, bbolt's findings and faults ErrCorruptFile). It fails
// after timeout if another process holds the file.
//
// The file is opened for writing, though nothing is written to it: that
// makes bbolt load its freelist here, where a damaged one is caught, and
// not in the goroutine tx.Check starts, where a panic could not be.
// bbolt's check walks the same pages as the record walk before it, so it
// runs only after that walk found every page readable.
func Check(path string, timeout time.Duration) error {
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("boltlog: check: %w", err)
	}
	db, err := openBolt(path, &bolt.Options{Timeout: timeout, FreelistType: bolt.FreelistMapType})
	if err != nil {
		return fmt.Errorf("boltlog: check %s: %w", path, err)
	}
	defer db.Close()

	var errs []error
	report := func(err error) bool {
		errs = append(errs, err)
		return len(errs) < maxCheckErrors
	}
	err = safely(path, func() error {
		return db.View(func(tx *bolt.Tx) error {
			checkRecords(tx, path, report)
			return nil
		})
	})
	if err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	err = safely(path, func() error {
		return db.View(func(tx *bolt.Tx) error {
			for err := range tx.Check() {
				if !report(fmt.Errorf("%w: %s: %w", ErrCorruptFile, path, err)) {
					break
				}
			}
			return nil
		})
	})
	if err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// checkRecords reads every batch of every partition and every consumer
// position, reporting what is wrong until report returns false.
func checkRecords(tx *bolt.Tx, path string, report func(error) bool) {
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		report(fmt.Errorf("%w: %s: no meta bucket", ErrCorruptFile, path))
		return
	}
	if v := meta.Get(keyFormat); len(v) != 1 || v[0] != layoutV3 {
		report(fmt.Errorf("%w: %s: layout %v, this version reads layout %d", ErrUnsupportedFormat, path, v, layoutV3))
		return
	}
	topics := tx.Bucket(bucketTopics)
	if topics == nil {
		report(fmt.Errorf("%w: %s: no topics bucket", ErrCorruptFile, path))
		return
	}
	ok := true
	_ = topics.ForEachBucket(func(name []byte) error {
		topic := string(name)
		tb := topics.Bucket(name)
		n, err := storedPartitions(tb, topic)
		if err != nil {
			ok = report(fmt.Errorf("%s: %w", path, err))
			return nil
		}
		for p := 0; p < n && ok; p++ {
			b, err := partitionBucket(tb, topic, p)
			if err != nil {
				ok = report(fmt.Errorf("%s: %w", path, err))
				continue
			}
			start, err := partitionStart(tb, topic, p)
			if err != nil {
				ok = report(fmt.Errorf("%s: %w", path, err))
				continue
			}
			last := start
			err = readBatches(b, start, 0, func(off uint64, _ record) bool {
				last = off
				return true
			})
			if err != nil {
				ok = report(fmt.Errorf("%s: topic %q partition %d after offset %d: %w", path, topic, p, last, err))
			}
		}
		if !ok {
			return errors.New("enough")
		}
		return nil
	})
	if !ok {
		return
	}
	groups := tx.Bucket(bucketGroups)
	if groups == nil {
		report(fmt.Errorf("%w: %s: no groups bucket", ErrCorruptFile, path))
		return
	}
	_ = groups.ForEachBucket(func(group []byte) error {
		return groups.Bucket(group).ForEachBucket(func(topic []byte) error {
			return groups.Bucket(group).Bucket(topic).ForEach(func(k, v []byte) error {
				if _, err := decodeOffset(v); err != nil || len(k) != 4 {
					if !report(fmt.Errorf("%w: %s: group %q topic %q: position %x = %x", ErrCorruptRecord, path, group, topic, k, v)) {
						return errors.New("enough")
					}
				}
				return nil
			})
		})
	})
}

// FileID reads the identity of the closed log file at path (see Log.ID).
func FileID(path string, timeout time.Duration) (string, error) {
	var id string
	err := viewFile(path, timeout, func(tx *bolt.Tx) error {
		id = idTx(tx)
		return nil
	})
	return id, err
}

func idTx(tx *bolt.Tx) string {
	if meta := tx.Bucket(bucketMeta); meta != nil {
		return hex.EncodeToString(meta.Get(keyID))
	}
	return ""
}

// viewFile runs fn in a read transaction on the closed log file at path,
// opened read-only.
func viewFile(path string, timeout time.Duration, fn func(*bolt.Tx) error) error {
	return safely(path, func() error {
		db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: timeout})
		if err != nil {
			return err
		}
		defer db.Close()
		return db.View(fn)
	})
}

// FileMark reads, from the closed log file at path in one read, its
// identity (as FileID) and the end offset of every partition of each of
// topics (nil for a topic never written).
func FileMark(path string, timeout time.Duration, topics []string) (string, map[string][]uint64, error) {
	var id string
	ends := make(map[string][]uint64, len(topics))
	err := viewFile(path, timeout, func(tx *bolt.Tx) error {
		id = idTx(tx)
		if tx.Bucket(bucketTopics) == nil {
			return nil
		}
		for _, topic := range topics {
			e, err := endOffsetsTx(tx, topic)
			if err != nil {
				return err
			}
			ends[topic] = e
		}
		return nil
	})
	return id, ends, err
}
