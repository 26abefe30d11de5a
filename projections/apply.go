package projections

import (
	"encoding/binary"
	"encoding/json"

	bolt "go.etcd.io/bbolt"

	"github.com/pizzeria/pizzeria/events"
)

// apply folds one event into the views in tx, exactly once: the event id is
// recorded in the same transaction, and an id seen before changes nothing.
// The result does not depend on the order events arrive in, within a topic
// or across topics, so live views and rebuilt views are equal.
// It reports whether the event changed anything.
func apply(tx *bolt.Tx, e events.Event) (bool, error) {
	applied := tx.Bucket(bucketApplied)
	if applied.Get([]byte(e.ID)) != nil {
		return false, nil
	}
	if err := applied.Put([]byte(e.ID), nil); err != nil {
		return false, err
	}
	id := e.OrderID()
	o, exists, err := getOrder(tx, id)
	if err != nil {
		return false, err
	}
	// The order record is written when it is new or its own events change
	// it; pizza events touch only their pizza. The index key follows the
	// placement time, unknown (zero) until OrderPlaced arrives.
	write, reindex := !exists, !exists
	index := tx.Bucket(bucketIndex)
	switch b := e.Body.(type) {
	case *events.OrderPlaced:
		if o.Count != 0 {
			break // a second placement of one order id cannot change it
		}
		if exists {
			if err := index.Delete(indexKey(o.PlacedAt, id)); err != nil {
				return false, err
			}
		}
		o.Count, o.PlacedAt = b.Count, b.PlacedAt
		write, reindex = true, true
	case *events.OrderCompleted:
		if o.CompletedAt == nil {
			at := b.CompletedAt
			o.CompletedAt, write = &at, true
		}
	case *events.PizzaEvent:
		if err := applyPizza(tx, b); err != nil {
			return false, err
		}
	}
	if reindex {
		if err := index.Put(indexKey(o.PlacedAt, id), nil); err != nil {
			return false, err
		}
	}
	if write {
		return true, putJSON(tx.Bucket(bucketOrders), []byte(id), o)
	}
	return true, nil
}

// applyPizza keeps the furthest stage seen of each pizza: every pizza event
// carries the whole state so far, so a later stage supersedes an earlier one
// whatever order they arrive in. A pizza is counted in the cheese report the
// first time it is seen at or past the cheese stage.
func applyPizza(tx *bolt.Tx, e *events.PizzaEvent) error {
	b := tx.Bucket(bucketPizzas)
	key := pizzaKey(e.Pizza.OrderID, e.Pizza.PizzaID)
	var p pizzaRecord // a pizza not seen yet is at StageOrdered with nothing on it
	if v := b.Get(key); v != nil {
		if err := json.Unmarshal(v, &p); err != nil {
			return err
		}
		if e.Stage <= p.Stage {
			return nil
		}
	}
	if p.Stage < events.StageCheese && e.Stage >= events.StageCheese && e.Pizza.Cheese != "" {
		if err := increment(tx.Bucket(bucketCheese), e.Pizza.Cheese); err != nil {
			return err
		}
	}
	p = pizzaRecord{e.Pizza.Sauce, e.Pizza.Cheese, e.Pizza.Meats, e.Pizza.Veggies, e.Stage}
	return putJSON(b, key, p)
}

func getOrder(tx *bolt.Tx, id string) (orderRecord, bool, error) {
	var o orderRecord
	v := tx.Bucket(bucketOrders).Get([]byte(id))
	if v == nil {
		return o, false, nil
	}
	return o, true, json.Unmarshal(v, &o)
}

func increment(b *bolt.Bucket, key string) error {
	var n uint64
	if v := b.Get([]byte(key)); len(v) == 8 {
		n = binary.BigEndian.Uint64(v)
	}
	return b.Put([]byte(key), binary.BigEndian.AppendUint64(nil, n+1))
}

func putJSON(b *bolt.Bucket, key []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(key, data)
}
