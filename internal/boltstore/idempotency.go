package boltstore

import (
	"bytes"
	"encoding/binary"
	"errors"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// DefaultKeyWindow is how long an Idempotency-Key is remembered unless
// configured otherwise.
const DefaultKeyWindow = 24 * time.Hour

// pruneChunk bounds the keys one pruning transaction deletes, so pruning
// never holds the writer for long.
const pruneChunk = 1000

var (
	keysBucket   = []byte("idempotency-keys")
	expiryBucket = []byte("idempotency-by-time") // 8-byte reserved-at nanos + key -> key
)

// Keys remembers Idempotency-Keys on disk for a window; older keys are
// treated as unknown and pruned in the background. Implements
// command.KeyStore. Safe for concurrent use.
type Keys struct {
	db     *bolt.DB
	window time.Duration
	now    func() time.Time
	stop   chan struct{}
	done   sync.WaitGroup
}

// OpenKeys opens the key store in the bbolt file at path, remembering keys
// for window (DefaultKeyWindow if 0), and starts pruning expired keys.
func OpenKeys(path string, window time.Duration) (*Keys, error) {
	return openKeys(path, window, time.Now)
}

func openKeys(path string, window time.Duration, now func() time.Time) (*Keys, error) {
	if window == 0 {
		window = DefaultKeyWindow
	}
	if window < 0 {
		return nil, errors.New("boltstore: the idempotency key window must be positive")
	}
	db, err := Open(path, keysBucket, expiryBucket)
	if err != nil {
		return nil, err
	}
	k := &Keys{db: db, window: window, now: now, stop: make(chan struct{})}
	k.done.Add(1)
	go k.pruneEvery(min(max(window/10, time.Second), time.Hour))
	return k, nil
}

// Close stops pruning and closes the file.
func (k *Keys) Close() error {
	close(k.stop)
	k.done.Wait()
	return k.db.Close()
}

// A key's value is its 8-byte reserved-at time (unix nanoseconds, which
// starts its window) followed by the caller's record.
func keyValue(reserved int64, rec []byte) []byte {
	b := make([]byte, 8, 8+len(rec))
	binary.BigEndian.PutUint64(b, uint64(reserved))
	return append(b, rec...)
}

func splitKeyValue(v []byte) (reserved int64, rec []byte, err error) {
	if len(v) < 8 {
		return 0, nil, errors.New("idempotency key record is shorter than its header")
	}
	return int64(binary.BigEndian.Uint64(v[:8])), v[8:], nil
}

func expiryKey(reserved int64, key string) []byte {
	b := make([]byte, 8, 8+len(key))
	binary.BigEndian.PutUint64(b, uint64(reserved))
	return append(b, key...)
}

// Lookup implements command.KeyStore: a read transaction, so it costs no
// commit. The record returned is a copy.
func (k *Keys) Lookup(key string) ([]byte, bool, error) {
	var (
		held  []byte
		found bool
	)
	err := k.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(keysBucket).Get([]byte(key))
		if v == nil {
			return nil
		}
		reserved, rec, err := splitKeyValue(v)
		if err != nil {
			return err
		}
		if time.Duration(k.now().UnixNano()-reserved) < k.window {
			held, found = bytes.Clone(rec), true
		}
		return nil
	})
	return held, found, err
}

// Reserve implements command.KeyStore. The record returned is a copy.
func (k *Keys) Reserve(key string, rec []byte) ([]byte, error) {
	var held []byte
	err := k.db.Batch(func(tx *bolt.Tx) error {
		keys, expiry := tx.Bucket(keysBucket), tx.Bucket(expiryBucket)
		now := k.now().UnixNano()
		if v := keys.Get([]byte(key)); v != nil {
			reserved, old, err := splitKeyValue(v)
			if err != nil {
				return err
			}
			if time.Duration(now-reserved) < k.window {
				held = bytes.Clone(old)
				return nil
			}
			if err := expiry.Delete(expiryKey(reserved, key)); err != nil {
				return err
			}
		}
		if err := keys.Put([]byte(key), keyValue(now, rec)); err != nil {
			return err
		}
		held = bytes.Clone(rec)
		return expiry.Put(expiryKey(now, key), []byte(key))
	})
	return held, err
}

// Replace implements command.KeyStore. A key pruned meanwhile stays gone.
func (k *Keys) Replace(key string, rec []byte) error {
	return k.db.Batch(func(tx *bolt.Tx) error {
		keys := tx.Bucket(keysBucket)
		v := keys.Get([]byte(key))
		if v == nil {
			return nil
		}
		reserved, _, err := splitKeyValue(v)
		if err != nil {
			return err
		}
		return keys.Put([]byte(key), keyValue(reserved, rec))
	})
}

// Prune deletes every key reserved longer than the window ago and
// reports how many went.
func (k *Keys) Prune() (int, error) {
	total := 0
	for {
		n, err := k.pruneSome(k.now().Add(-k.window).UnixNano())
		total += n
		if err != nil || n < pruneChunk {
			return total, err
		}
	}
}

func (k *Keys) pruneSome(before int64) (int, error) {
	n := 0
	err := k.db.Update(func(tx *bolt.Tx) error {
		keys, expiry := tx.Bucket(keysBucket), tx.Bucket(expiryBucket)
		n = 0
		c := expiry.Cursor()
		for ek, key := c.First(); ek != nil && n < pruneChunk; ek, key = c.First() {
			if int64(binary.BigEndian.Uint64(ek[:8])) >= before {
				return nil
			}
			if err := keys.Delete(key); err != nil {
				return err
			}
			if err := c.Delete(); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}

func (k *Keys) pruneEvery(interval time.Duration) {
	defer k.done.Done()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-k.stop:
			return
		case <-t.C:
			// A failure (a full disk) is retried at the next tick; the
			// window is enforced on lookup regardless.
			_, _ = k.Prune()
		}
	}
}
