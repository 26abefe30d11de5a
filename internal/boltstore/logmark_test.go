package boltstore

import (
	"errors"
	"path/filepath"
	"reflect"
	"testing"

	bolt "go.etcd.io/bbolt"
)

func TestTheLedgerKeepsItsLogMarkAcrossAReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "order-manager.db")
	l, err := OpenLedger(path)
	if err != nil {
		t.Fatal(err)
	}
	if m, err := l.LogMark(); err != nil || m.ID != "" {
		t.Fatalf("a new ledger names log %q, %v", m.ID, err)
	}
	want := LogMark{ID: "0a1b", Ends: map[string][]uint64{"orders": {3, 0, 7}, "pizza-with-veggies": {12, 1, 0}}}
	if err := l.SetLogMark(want); err != nil {
		t.Fatal(err)
	}
	if empty, err := l.Empty(); err != nil || !empty {
		t.Fatalf("a ledger with only its log mark: empty %v, %v", empty, err)
	}
	l.Close()
	got, err := FileLedgerLogMark(path)
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("read back %+v, %v; want %+v", got, err, want)
	}
	if err := CheckLedger(path); err != nil {
		t.Fatalf("check of a sound ledger: %v", err)
	}
	// One byte of the mark changed: reported, never trusted.
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(ledgerMetaBucket)
		v := append([]byte(nil), b.Get(keyLogMark)...)
		v[1] ^= 1
		return b.Put(keyLogMark, v)
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := FileLedgerLogMark(path); !errors.Is(err, ErrCorruptLogMark) {
		t.Fatalf("a changed mark read as %v, want ErrCorruptLogMark", err)
	}
	if err := CheckLedger(path); !errors.Is(err, ErrCorruptLogMark) {
		t.Fatalf("check of a changed mark: %v, want ErrCorruptLogMark", err)
	}
}
