package boltstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"slices"

	bolt "go.etcd.io/bbolt"

	"github.com/pizzeria/pizzeria/kitchen"
)

var ledgerBucket = []byte("completion-ledger")

// Ledger is the order manager's durable record of finished pizzas, one key
// per order. Once an order completes its pizza list is dropped and only the
// decisive pizza is kept, so the file grows by a few bytes per order. It
// holds nothing the log does not: kitchen.RebuildLedger refills a lost one.
//
// Safe for concurrent use: concurrent calls share one transaction (group
// commit), and a transaction reads and writes each order it touches once.
type Ledger struct {
	db      *bolt.DB
	batcher *Batcher[*ledgerReq]
}

// OpenLedger opens the ledger in the bbolt file at path.
func OpenLedger(path string) (*Ledger, error) {
	db, err := Open(path, ledgerBucket, ledgerMetaBucket)
	if err != nil {
		return nil, err
	}
	l := &Ledger{db: db}
	l.batcher = NewBatcher(l.run)
	return l, nil
}

// Close waits for calls in progress and closes the file.
func (l *Ledger) Close() error {
	l.batcher.Close()
	return l.db.Close()
}

// Empty reports whether the ledger holds no order (new, or lost). Its log
// mark does not count.
func (l *Ledger) Empty() (bool, error) {
	empty := true
	err := l.db.View(func(tx *bolt.Tx) error {
		k, _ := tx.Bucket(ledgerBucket).Cursor().First()
		empty = k == nil
		return nil
	})
	return empty, err
}

// RecordDone implements kitchen.CompletionLedger.
func (l *Ledger) RecordDone(done ...kitchen.Done) ([]kitchen.Outcome, error) {
	r := &ledgerReq{done: done}
	if err := l.batcher.Do(r); err != nil {
		return nil, err
	}
	return r.out, nil
}

// ledgerReq is one RecordDone call; the batch loop fills out before
// answering it.
type ledgerReq struct {
	done []kitchen.Done
	out  []kitchen.Outcome
}

// MarkCompleted implements kitchen.RebuildTarget: the orders are completed
// in the log already, so no later pizza is decisive for them.
func (l *Ledger) MarkCompleted(orderIDs ...string) error {
	return l.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(ledgerBucket)
		for _, id := range orderIDs {
			if err := b.Put([]byte(id), (&ledgerEntry{decidedBy: "-"}).encode()); err != nil {
				return err
			}
		}
		return nil
	})
}

// run applies the requests of a batch in one transaction.
func (l *Ledger) run(reqs []*ledgerReq) ([]error, error) {
	return nil, Guard(l.db.Path(), func() error { return l.update(reqs) })
}

func (l *Ledger) update(reqs []*ledgerReq) error {
	return l.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(ledgerBucket)
		cache := map[string]*ledgerEntry{}
		for _, r := range reqs {
			r.out = make([]kitchen.Outcome, len(r.done))
			for i, d := range r.done {
				e, ok := cache[d.OrderID]
				if !ok {
					e = &ledgerEntry{}
					if v := b.Get([]byte(d.OrderID)); v != nil {
						var err error
						if e, err = decodeEntry(d.OrderID, v); err != nil {
							return err
						}
					}
					cache[d.OrderID] = e
				}
				r.out[i] = e.record(d)
			}
		}
		for id, e := range cache {
			if e.dirty {
				if err := b.Put([]byte(id), e.encode()); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// ledgerEntry is one order's progress: the pizzas done so far, until the
// order completes; then the pizza that completed it ("-" when the log
// already held the completion as the ledger was rebuilt).
type ledgerEntry struct {
	count     int
	done      []string // sorted
	decidedBy string
	dirty     bool
}

func (e *ledgerEntry) record(d kitchen.Done) kitchen.Outcome {
	if e.decidedBy != "" {
		return kitchen.Outcome{Complete: true, Decisive: e.decidedBy == d.PizzaID}
	}
	e.count = d.Count
	if i, found := slices.BinarySearch(e.done, d.PizzaID); !found {
		e.done = slices.Insert(e.done, i, d.PizzaID)
		e.dirty = true
	}
	if len(e.done) < e.count {
		return kitchen.Outcome{}
	}
	e.decidedBy, e.done, e.dirty = d.PizzaID, nil, true
	return kitchen.Outcome{Complete: true, Decisive: true}
}

// Entry encoding: uvarint count, decided-by string, uvarint n, n pizza ids
// (strings are uvarint length + bytes), CRC-32C.
func (e *ledgerEntry) encode() []byte {
	b := binary.AppendUvarint(nil, uint64(e.count))
	b = appendStr(b, e.decidedBy)
	b = binary.AppendUvarint(b, uint64(len(e.done)))
	for _, id := range e.done {
		b = appendStr(b, id)
	}
	return binary.BigEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrCorruptLedger: a ledger entry failed its checksum or did not decode.
var ErrCorruptLedger = errors.New("damaged completion ledger entry")

func decodeEntry(id string, v []byte) (*ledgerEntry, error) {
	bad := func(why string) (*ledgerEntry, error) {
		return nil, fmt.Errorf("%w: order %s: %s", ErrCorruptLedger, id, why)
	}
	if len(v) < 4 || crc32.Checksum(v[:len(v)-4], castagnoli) != binary.BigEndian.Uint32(v[len(v)-4:]) {
		return bad("checksum mismatch")
	}
	v = v[:len(v)-4]
	e := &ledgerEntry{}
	count, n := binary.Uvarint(v)
	if n <= 0 {
		return bad("truncated")
	}
	e.count, v = int(count), v[n:]
	var ok bool
	if e.decidedBy, v, ok = readStr(v); !ok {
		return bad("truncated")
	}
	k, n := binary.Uvarint(v)
	if n <= 0 || k > uint64(len(v)) {
		return bad("truncated")
	}
	v = v[n:]
	for range k {
		var id string
		if id, v, ok = readStr(v); !ok {
			return bad("truncated")
		}
		e.done = append(e.done, id)
	}
	return e, nil
}

func appendStr(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

func readStr(v []byte) (string, []byte, bool) {
	n, k := binary.Uvarint(v)
	if k <= 0 || n > uint64(len(v)-k) {
		return "", nil, false
	}
	return string(v[k : k+int(n)]), v[k+int(n):], true
}

// CheckLedger verifies a closed ledger file: bbolt's consistency check and
// the checksum of every entry and of its log mark.
func CheckLedger(path string) error {
	return Check(path, func(bucket string, k, v []byte) error {
		if bucket == string(ledgerMetaBucket) {
			_, err := decodeLogMark(v)
			return err
		}
		_, err := decodeEntry(string(k), v)
		return err
	})
}
