package boltstore

import (
	"encoding/json"
	"slices"

	bolt "go.etcd.io/bbolt"
)

var ledgerBucket = []byte("completion-ledger")

// Ledger is the order manager's durable record of finished pizzas, one key
// per order. Once an order completes its pizza list is dropped and only the
// decisive pizza is kept, so the file grows by a few bytes per order.
// Safe for concurrent use; concurrent calls share bbolt transactions.
type Ledger struct{ db *bolt.DB }

// OpenLedger opens the ledger in the bbolt file at path.
func OpenLedger(path string) (*Ledger, error) {
	db, err := Open(path, ledgerBucket)
	if err != nil {
		return nil, err
	}
	return &Ledger{db: db}, nil
}

// Close closes the file.
func (l *Ledger) Close() error { return l.db.Close() }

type ledgerEntry struct {
	Count     int      `json:"count"`
	Done      []string `json:"done,omitempty"`
	DecidedBy string   `json:"decided_by,omitempty"`
}

// RecordDone implements command.CompletionLedger.
func (l *Ledger) RecordDone(orderID, pizzaID string, count int) (complete, decisive bool, err error) {
	err = l.db.Batch(func(tx *bolt.Tx) error {
		b := tx.Bucket(ledgerBucket)
		var e ledgerEntry
		if v := b.Get([]byte(orderID)); v != nil {
			if err := json.Unmarshal(v, &e); err != nil {
				return err
			}
		}
		if e.DecidedBy != "" {
			complete, decisive = true, e.DecidedBy == pizzaID
			return nil
		}
		e.Count = count
		if !slices.Contains(e.Done, pizzaID) {
			e.Done = append(e.Done, pizzaID)
		}
		complete, decisive = len(e.Done) >= e.Count, false
		if complete {
			e.DecidedBy, e.Done, decisive = pizzaID, nil, true
		}
		v, err := json.Marshal(e)
		if err != nil {
			return err
		}
		return b.Put([]byte(orderID), v)
	})
	return complete, decisive, err
}
