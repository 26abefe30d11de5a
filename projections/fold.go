package projections

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"slices"
	"strings"

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

// ErrNotInOrder: a pizza event names a pizza its order does not have (an
// index beyond the order's count, or a pizza made up for a completed
// order). It wraps events.ErrInvalidEvent, so the message is dead-lettered
// with this reason instead of being folded in.
var ErrNotInOrder = fmt.Errorf("%w: the pizza is not one of its order's", events.ErrInvalidEvent)

// touched is an order loaded into the batch.
type touched struct {
	rec        orderRecord
	members    map[string]bool // the order's pizza ids, once needed in this batch
	exists     bool            // it was stored before the batch
	indexed    []byte          // its index key as stored before the batch, if any
	wasDone    bool            // it was completed before the batch
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
			f.dropStrangers(o, b.OrderID)
		}
	case *events.OrderCompleted:
		// A completion redelivered through the kitchen after a crash may be
		// written twice, a moment apart (the same event id, the stage's
		// clock in its time): the earliest is kept, whichever arrives
		// first, so live and rebuilt views agree.
		if o.rec.CompletedAt == nil || b.CompletedAt.Before(*o.rec.CompletedAt) {
			at := b.CompletedAt
			o.rec.CompletedAt, changed = &at, true
		}
	case *events.PizzaEvent:
		if o.rec.Count > 0 && !o.has(b.Pizza.PizzaID) && !o.member(b.Pizza.OrderID, b.Pizza.PizzaID) {
			return false, fmt.Errorf("%w: pizza %s of order %s, which has %d pizzas", ErrNotInOrder, b.Pizza.PizzaID, b.Pizza.OrderID, o.rec.Count)
		}
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

// has reports whether the order already holds the pizza.
func (o *touched) has(pizzaID string) bool {
	_, found := slices.BinarySearchFunc(o.rec.Pizzas, pizzaID, func(p pizzaRecord, id string) int { return strings.Compare(p.ID, id) })
	return found
}

// member reports whether pizzaID is one of the order's pizzas: pizza k of
// order o always has the id events.PizzaID(o, k), k < count. The set is
// derived once per order per batch, and only when a pizza new to the order
// arrives.
func (o *touched) member(orderID, pizzaID string) bool {
	if o.members == nil {
		o.members = make(map[string]bool, o.rec.Count)
		for k := range o.rec.Count {
			o.members[events.PizzaID(orderID, k)] = true
		}
	}
	return o.members[pizzaID]
}

// dropStrangers removes, when an order's placement arrives after some of
// its pizza events, the pizzas that turn out not to be its own (and their
// cheese), so that the views do not depend on the order events arrive in.
func (f *folder) dropStrangers(o *touched, orderID string) {
	kept := o.rec.Pizzas[:0]
	for _, p := range o.rec.Pizzas {
		if o.member(orderID, p.ID) {
			kept = append(kept, p)
			continue
		}
		if p.Stage >= events.StageCheese && p.Cheese != "" {
			f.cheese[p.Cheese]--
		}
	}
	o.rec.Pizzas = kept
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

// folded is what foldBatch did.
type folded struct {
	changed, completed []string       // orders changed, and those that became completed
	applied            int            // events that changed something
	fresh              []events.Event // events not seen before at their position, and not rejected
	rejected           []error        // per item, why it was left out; nil when none was
}

// foldBatch applies items into the views of tx. With track set it keeps
// positions too: an item whose position was applied before (a redelivery)
// is skipped, and the positions of the others are recorded in the same
// transaction as their effects. An item that breaks an order's invariants
// is left out and its error set in rejected; its position is not
// recorded, so a redelivery is rejected again.
func foldBatch(tx *bolt.Tx, items []item, track bool) (out folded, err error) {
	f := newFolder(tx)
	var pos *boltstore.Positions
	if track {
		pos = boltstore.PositionsIn(tx.Bucket(bucketPositions))
	}
	for i, it := range items {
		if track && it.pos != nil {
			seen, err := pos.Applied(*it.pos)
			if err != nil {
				return out, err
			}
			if seen {
				continue
			}
		}
		ok, err := f.apply(it.event)
		if errors.Is(err, ErrNotInOrder) {
			if out.rejected == nil {
				out.rejected = make([]error, len(items))
			}
			out.rejected[i] = err
			continue
		}
		if err != nil {
			return out, err
		}
		if track && it.pos != nil {
			if err := pos.Mark(*it.pos); err != nil {
				return out, err
			}
		}
		out.fresh = append(out.fresh, it.event)
		if ok {
			out.applied++
		}
	}
	if track {
		if err := pos.Flush(); err != nil {
			return out, err
		}
	}
	out.changed, out.completed, err = f.flush()
	return out, err
}

// item is an event to fold in and, when it came from a subscriber, where it
// was read.
type item struct {
	event events.Event
	pos   *boltstore.Position
}
