package projections

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"

	bolt "go.etcd.io/bbolt"

	"github.com/pizzeria/pizzeria/events"
	"github.com/pizzeria/pizzeria/internal/boltstore"
	"github.com/pizzeria/pizzeria/query"
)

// folder folds events into the views within one bbolt transaction. It
// decodes each order it touches once, applies every event of the batch to it
// in memory, and writes each changed order, index key and cheese count once
// at flush. The result does not depend on the order events arrive in, within
// a topic or across topics, and an event applied twice changes nothing the
// second time (a pizza keeps its furthest stage, an order its first
// placement and completion), so live views and rebuilt views are equal.
type folder struct {
	tx     *bolt.Tx
	orders map[string]*touched
	cheese map[string]int64 // deltas
}

// touched is an order loaded into the batch.
type touched struct {
	rec        orderRecord
	exists     bool   // it was stored before the batch
	indexed    []byte // its index key as stored before the batch, if any
	wasDone    bool   // it was completed before the batch
	changed    bool
	indexStale bool
}

func newFolder(tx *bolt.Tx) *folder {
	return &folder{tx: tx, orders: map[string]*touched{}, cheese: map[string]int64{}}
}

// apply folds e in; it reports whether anything changed.
func (f *folder) apply(e events.Event) (bool, error) {
	o, err := f.order(e.OrderID())
	if err != nil {
		return false, err
	}
	changed := false
	switch b := e.Body.(type) {
	case *events.OrderPlaced:
		if o.rec.Count == 0 { // a second placement of one order id cannot change it
			o.rec.Count, o.rec.PlacedAt = b.Count, b.PlacedAt
			changed, o.indexStale = true, true
		}
	case *events.OrderCompleted:
		if o.rec.CompletedAt == nil {
			at := b.CompletedAt
			o.rec.CompletedAt, changed = &at, true
		}
	case *events.PizzaEvent:
		changed = f.applyPizza(o, b)
	}
	if !o.exists && o.indexed == nil {
		o.indexStale = true // a new order is listed at once, even before its placement arrives
	}
	o.changed = o.changed || changed || !o.exists
	return changed, nil
}

// applyPizza keeps the furthest stage seen of each pizza: every pizza event
// carries the whole state so far, so a later stage supersedes an earlier one
// whatever order they arrive in. A pizza is counted in the cheese report the
// first time it is seen at or past the cheese stage.
func (f *folder) applyPizza(o *touched, e *events.PizzaEvent) bool {
	p, _ := o.rec.pizza(e.Pizza.PizzaID)
	if e.Stage <= p.Stage {
		return false
	}
	if p.Stage < events.StageCheese && e.Stage >= events.StageCheese && e.Pizza.Cheese != "" {
		f.cheese[e.Pizza.Cheese]++
	}
	*p = pizzaRecord{ID: p.ID, Sauce: e.Pizza.Sauce, Cheese: e.Pizza.Cheese, Meats: e.Pizza.Meats, Veggies: e.Pizza.Veggies, Stage: e.Stage}
	return true
}

func (f *folder) order(id string) (*touched, error) {
	if o, ok := f.orders[id]; ok {
		return o, nil
	}
	o := &touched{}
	if v := f.tx.Bucket(bucketOrders).Get([]byte(id)); v != nil {
		rec, err := decodeOrder(id, v)
		if err != nil {
			return nil, err
		}
		o.rec, o.exists = rec, true
		o.indexed = indexKey(rec.PlacedAt, id)
		o.wasDone = rec.status() == query.StatusCompleted
	}
	f.orders[id] = o
	return o, nil
}

// flush writes what the batch changed. It reports the orders that changed
// and those that became completed in this batch.
func (f *folder) flush() (changed, completed []string, err error) {
	orders, index := f.tx.Bucket(bucketOrders), f.tx.Bucket(bucketIndex)
	for id, o := range f.orders {
		if !o.changed {
			continue
		}
		changed = append(changed, id)
		if !o.wasDone && o.rec.status() == query.StatusCompleted {
			completed = append(completed, id)
		}
		if o.indexStale {
			k := indexKey(o.rec.PlacedAt, id)
			if o.indexed != nil && string(o.indexed) != string(k) {
				if err := index.Delete(o.indexed); err != nil {
					return nil, nil, err
				}
			}
			if err := index.Put(k, nil); err != nil {
				return nil, nil, err
			}
		}
		if err := orders.Put([]byte(id), o.rec.encode()); err != nil {
			return nil, nil, err
		}
	}
	cheese := f.tx.Bucket(bucketCheese)
	for name, delta := range f.cheese {
		n, err := readCount(name, cheese.Get([]byte(name)))
		if err != nil {
			return nil, nil, err
		}
		if err := cheese.Put([]byte(name), encodeCount(n+delta)); err != nil {
			return nil, nil, err
		}
	}
	return changed, completed, nil
}

// A cheese count is 8 bytes big-endian and a CRC-32C of them.
func encodeCount(n int64) []byte {
	b := binary.BigEndian.AppendUint64(nil, uint64(n))
	return binary.BigEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

func readCount(name string, v []byte) (int64, error) {
	if v == nil {
		return 0, nil
	}
	if len(v) != 12 || crc32.Checksum(v[:8], castagnoli) != binary.BigEndian.Uint32(v[8:]) {
		return 0, fmt.Errorf("%w: cheese count %q", ErrDamaged, name)
	}
	return int64(binary.BigEndian.Uint64(v[:8])), nil
}

// foldBatch applies items into the views of tx. With track set it keeps
// positions too: an item whose position was applied before (a redelivery)
// is skipped, and the positions of the others are recorded in the same
// transaction as their effects.
func foldBatch(tx *bolt.Tx, items []item, track bool) (changed, completed []string, applied int, err error) {
	f := newFolder(tx)
	var pos *boltstore.Positions
	if track {
		pos = boltstore.PositionsIn(tx.Bucket(bucketPositions))
	}
	for _, it := range items {
		if track && it.pos != nil {
			seen, err := pos.Applied(*it.pos)
			if err != nil {
				return nil, nil, 0, err
			}
			if seen {
				continue
			}
			if err := pos.Mark(*it.pos); err != nil {
				return nil, nil, 0, err
			}
		}
		ok, err := f.apply(it.event)
		if err != nil {
			return nil, nil, 0, err
		}
		if ok {
			applied++
		}
	}
	if track {
		if err := pos.Flush(); err != nil {
			return nil, nil, 0, err
		}
	}
	changed, completed, err = f.flush()
	return changed, completed, applied, err
}

// item is an event to fold in and, when it came from a subscriber, where it
// was read.
type item struct {
	event events.Event
	pos   *boltstore.Position
}
