package boltstore

import (
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"
)

var bucket = []byte("positions")

func openPositions(tb testing.TB) *bolt.DB {
	tb.Helper()
	db, err := Open(filepath.Join(tb.TempDir(), "p.db"), bucket)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// markAll marks offsets of one partition in one transaction and reports
// which were new.
func markAll(tb testing.TB, db *bolt.DB, offsets ...int64) (fresh []int64) {
	tb.Helper()
	err := db.Update(func(tx *bolt.Tx) error {
		ps := PositionsIn(tx.Bucket(bucket))
		for _, o := range offsets {
			p := Position{"t", 3, o}
			seen, err := ps.Applied(p)
			if err != nil {
				return err
			}
			if !seen {
				fresh = append(fresh, o)
				if err := ps.Mark(p); err != nil {
					return err
				}
			}
		}
		return ps.Flush()
	})
	if err != nil {
		tb.Fatal(err)
	}
	return fresh
}

func TestPositionsSkipWhatWasApplied(t *testing.T) {
	cases := []struct {
		name        string
		first, then []int64
		want        []int64
	}{
		{"redelivered in order", []int64{0, 1, 2}, []int64{0, 1, 2, 3}, []int64{3}},
		{"acked out of order", []int64{2, 0, 5}, []int64{0, 1, 2, 3, 4, 5, 6}, []int64{1, 3, 4, 6}},
		{"twice in one transaction", []int64{}, []int64{7, 7, 8, 7}, []int64{7, 8}},
		{"other partition untouched", []int64{}, []int64{0}, []int64{0}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			db := openPositions(t)
			markAll(t, db, c.first...)
			got := markAll(t, db, c.then...)
			if len(got) != len(c.want) {
				t.Fatalf("fresh %v, want %v", got, c.want)
			}
			for i := range got {
				if got[i] != c.want[i] {
					t.Fatalf("fresh %v, want %v", got, c.want)
				}
			}
		})
	}
}

func TestPositionsStaySmallAndSkipGaps(t *testing.T) {
	db := openPositions(t)
	// A log that starts at offset 1,000,000 (older records deleted by
	// retention): the offsets below it never come.
	var offs []int64
	for o := int64(1_000_000); o < 1_000_000+MaxPending+10; o++ {
		offs = append(offs, o)
	}
	markAll(t, db, offs...)
	if got := markAll(t, db, 1_000_000, 1_000_001+MaxPending); len(got) != 0 {
		t.Fatalf("applied offsets came back as new: %v", got)
	}
	if got := markAll(t, db, 1_000_000+MaxPending+10); len(got) != 1 {
		t.Fatal("the next offset was not new")
	}
	db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucket).Get(encodeKey(partKey{"t", 3}))
		if len(v) > 16 {
			t.Errorf("state of a contiguous partition is %d bytes", len(v))
		}
		return nil
	})
}

func TestPositionsReportDamage(t *testing.T) {
	db := openPositions(t)
	db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucket).Put(encodeKey(partKey{"t", 3}), []byte{0xff}) })
	err := db.Update(func(tx *bolt.Tx) error {
		_, err := PositionsIn(tx.Bucket(bucket)).Applied(Position{"t", 3, 0})
		return err
	})
	if err == nil {
		t.Fatal("a damaged position was read as valid")
	}
}
