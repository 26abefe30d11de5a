package boltstore

import (
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// clock is a settable time for tests of the window.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.now = c.now.Add(d) }

func openTestKeys(t *testing.T, path string, window time.Duration, c *clock) *Keys {
	t.Helper()
	k, err := openKeys(path, window, c.Now)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustReserve(t *testing.T, k *Keys, key, rec string) string {
	t.Helper()
	v, err := k.Reserve(key, []byte(rec))
	if err != nil {
		t.Fatal(err)
	}
	return string(v)
}

func countKeys(t *testing.T, k *Keys) (keys, index int) {
	t.Helper()
	err := k.db.View(func(tx *bolt.Tx) error {
		keys, index = tx.Bucket(keysBucket).Stats().KeyN, tx.Bucket(expiryBucket).Stats().KeyN
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return keys, index
}

func TestKeysAreKeptOnDiskForTheWindow(t *testing.T) {
	path := filepath.Join(t.TempDir(), "idempotency.db")
	c := &clock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	k := openTestKeys(t, path, time.Hour, c)
	if got := mustReserve(t, k, "a", "first"); got != "first" {
		t.Fatalf("a new key holds %q", got)
	}
	if err := k.Replace("a", []byte("first, appended")); err != nil {
		t.Fatal(err)
	}
	k.Close()

	k = openTestKeys(t, path, time.Hour, c) // a restart
	defer k.Close()
	c.Advance(59 * time.Minute)
	if got := mustReserve(t, k, "a", "second"); got != "first, appended" {
		t.Fatalf("within the window the key holds %q, want the first record", got)
	}
	c.Advance(2 * time.Minute)
	if got := mustReserve(t, k, "a", "third"); got != "third" {
		t.Fatalf("after the window the key holds %q, want a fresh record", got)
	}
	if keys, index := countKeys(t, k); keys != 1 || index != 1 {
		t.Fatalf("%d keys and %d index entries after re-reserving, want 1 and 1", keys, index)
	}
}

func TestExpiredKeysArePruned(t *testing.T) {
	c := &clock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	k := openTestKeys(t, filepath.Join(t.TempDir(), "idempotency.db"), time.Hour, c)
	defer k.Close()
	const old = 2*pruneChunk + 5 // more than one pruning transaction
	for i := range old {
		mustReserve(t, k, "old-"+strconv.Itoa(i), "x")
	}
	c.Advance(30 * time.Minute)
	mustReserve(t, k, "young", "y")
	c.Advance(31 * time.Minute)
	n, err := k.Prune()
	if err != nil {
		t.Fatal(err)
	}
	if keys, index := countKeys(t, k); n != old || keys != 1 || index != 1 {
		t.Fatalf("pruned %d, left %d keys and %d index entries; want %d pruned and the young key left", n, keys, index, old)
	}
	if got := mustReserve(t, k, "young", "z"); got != "y" {
		t.Fatalf("the young key holds %q after pruning", got)
	}
}

func TestLookupSeesOnlyKeysWithinTheWindow(t *testing.T) {
	c := &clock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	k := openTestKeys(t, filepath.Join(t.TempDir(), "idempotency.db"), time.Hour, c)
	defer k.Close()
	if _, found, err := k.Lookup("a"); err != nil || found {
		t.Fatalf("an unknown key: found %v, %v", found, err)
	}
	mustReserve(t, k, "a", "first")
	if rec, found, err := k.Lookup("a"); err != nil || !found || string(rec) != "first" {
		t.Fatalf("a reserved key: %q found %v, %v", rec, found, err)
	}
	c.Advance(time.Hour)
	if _, found, err := k.Lookup("a"); err != nil || found {
		t.Fatalf("a key as old as the window: found %v, %v; want unknown", found, err)
	}
}
