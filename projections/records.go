package projections

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/pizzeria/pizzeria/events"
	"github.com/pizzeria/pizzeria/query"
)

// Bucket layout of a views file. Every value is derived from events only,
// except positions, which say which messages the values already hold.
var (
	bucketOrders    = []byte("orders")    // order id → orderRecord, with its pizzas (see encode)
	bucketIndex     = []byte("index")     // newest-first key (see indexKey) → nothing
	bucketCheese    = []byte("cheese")    // cheese → count, 8 bytes big-endian
	bucketPositions = []byte("positions") // topic, partition → applied offsets (boltstore.Positions)
	bucketMeta      = []byte("meta")      // "log_id" → the identity of the log the views were built from
	viewBuckets     = [][]byte{bucketOrders, bucketIndex, bucketCheese}
	allBuckets      = append(slices.Clone(viewBuckets), bucketPositions, bucketMeta)
	keyLogID        = []byte("log_id")
)

// ErrDamaged: a stored view record failed its checksum or could not be
// decoded. The views can be rebuilt from the log (pizzeria replay).
var ErrDamaged = errors.New("damaged view record")

// orderRecord is an order's whole view: one bbolt value per order, so that
// reading an order decodes one record, and a batch that touches an order
// many times writes it once.
type orderRecord struct {
	Count       int
	PlacedAt    time.Time  // zero when unknown
	CompletedAt *time.Time // nil until OrderCompleted is seen
	Pizzas      []pizzaRecord
}

// pizzaRecord is the furthest stage seen of one pizza.
type pizzaRecord struct {
	ID                            string
	Sauce, Cheese, Meats, Veggies string
	Stage                         events.Stage
}

// pizza returns the pizza with id, inserting a fresh one (kept sorted by id,
// so the view does not depend on arrival order) if it is new.
func (o *orderRecord) pizza(id string) (p *pizzaRecord, added bool) {
	i, found := slices.BinarySearchFunc(o.Pizzas, id, func(p pizzaRecord, id string) int { return strings.Compare(p.ID, id) })
	if !found {
		o.Pizzas = slices.Insert(o.Pizzas, i, pizzaRecord{ID: id, Stage: -1})
	}
	return &o.Pizzas[i], !found
}

func (o *orderRecord) done() int {
	n := 0
	for _, p := range o.Pizzas {
		if p.Stage == events.StageVeggies {
			n++
		}
	}
	return n
}

// status follows from the order and its pizzas: completed once
// OrderCompleted is seen and every pizza is done (the two travel on
// different topics, so either may arrive first), in progress once any pizza
// is known.
func (o *orderRecord) status() query.Status {
	switch {
	case o.CompletedAt != nil && o.Count > 0 && o.done() >= o.Count:
		return query.StatusCompleted
	case len(o.Pizzas) > 0:
		return query.StatusInProgress
	}
	return query.StatusPlaced
}

// view is the order view.
func (o *orderRecord) view(id string) query.Order {
	v := query.Order{ID: id, Count: o.Count, Status: o.status(), PlacedAt: o.PlacedAt, Pizzas: make([]query.Pizza, len(o.Pizzas))}
	if v.Status == query.StatusCompleted {
		v.CompletedAt = o.CompletedAt
	}
	for i, p := range o.Pizzas {
		v.Pizzas[i] = query.Pizza{ID: p.ID, Sauce: p.Sauce, Cheese: p.Cheese, Meats: p.Meats, Veggies: p.Veggies, Stage: p.Stage.Label()}
	}
	return v
}

// Record encoding, version 1: a version byte, then uvarint/varint fields and
// length-prefixed strings, then a CRC-32C of everything before it:
//
//	1 | count | placed_at unix ns (0: unknown) | completed flag [| completed_at ns]
//	  | pizzas | per pizza: id, stage, sauce, cheese, meats, veggies | crc32c
const recordV1 = 1

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func (o *orderRecord) encode() []byte {
	b := make([]byte, 0, 24+len(o.Pizzas)*72)
	b = append(b, recordV1)
	b = binary.AppendUvarint(b, uint64(o.Count))
	b = binary.AppendVarint(b, unixNano(o.PlacedAt))
	if o.CompletedAt != nil {
		b = append(b, 1)
		b = binary.AppendVarint(b, unixNano(*o.CompletedAt))
	} else {
		b = append(b, 0)
	}
	b = binary.AppendUvarint(b, uint64(len(o.Pizzas)))
	for _, p := range o.Pizzas {
		b = appendString(b, p.ID)
		b = append(b, byte(p.Stage))
		b = appendString(b, p.Sauce)
		b = appendString(b, p.Cheese)
		b = appendString(b, p.Meats)
		b = appendString(b, p.Veggies)
	}
	return binary.BigEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

func decodeOrder(id string, v []byte) (orderRecord, error) {
	var o orderRecord
	if len(v) < 5 {
		return o, fmt.Errorf("%w: order %s: %d bytes", ErrDamaged, id, len(v))
	}
	body, sum := v[:len(v)-4], binary.BigEndian.Uint32(v[len(v)-4:])
	if crc32.Checksum(body, castagnoli) != sum {
		return o, fmt.Errorf("%w: order %s: checksum mismatch", ErrDamaged, id)
	}
	r := reader{b: body}
	if r.byte() != recordV1 {
		return o, fmt.Errorf("%w: order %s: unknown record version", ErrDamaged, id)
	}
	o.Count = int(r.uvarint())
	o.PlacedAt = fromUnixNano(r.varint())
	if r.byte() == 1 {
		t := fromUnixNano(r.varint())
		o.CompletedAt = &t
	}
	n := r.uvarint()
	if n > uint64(len(body)) {
		return o, fmt.Errorf("%w: order %s: %d pizzas in %d bytes", ErrDamaged, id, n, len(body))
	}
	o.Pizzas = make([]pizzaRecord, n)
	for i := range o.Pizzas {
		p := &o.Pizzas[i]
		p.ID = r.string()
		p.Stage = events.Stage(r.byte())
		p.Sauce, p.Cheese, p.Meats, p.Veggies = r.string(), r.string(), r.string(), r.string()
		if p.Stage < events.StageOrdered || p.Stage > events.StageVeggies {
			r.err = errors.New("bad stage")
		}
	}
	if r.err == nil && len(r.b) != 0 {
		r.err = errors.New("trailing bytes")
	}
	if r.err != nil {
		return orderRecord{}, fmt.Errorf("%w: order %s: %v", ErrDamaged, id, r.err)
	}
	return o, nil
}

func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromUnixNano(ns int64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns).UTC()
}

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// reader decodes a record; the first problem sticks in err and every later
// read returns zero values.
type reader struct {
	b   []byte
	err error
}

func (r *reader) byte() byte {
	if r.err != nil || len(r.b) == 0 {
		r.fail()
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *reader) uvarint() uint64 { return readVarint(r, binary.Uvarint) }

func (r *reader) varint() int64 { return readVarint(r, binary.Varint) }

// readVarint reads one varint with read (binary.Uvarint or binary.Varint).
func readVarint[T uint64 | int64](r *reader, read func([]byte) (T, int)) T {
	if r.err != nil {
		return 0
	}
	v, n := read(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) string() string {
	n := r.uvarint()
	if r.err != nil || n > uint64(len(r.b)) {
		r.fail()
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

func (r *reader) fail() {
	if r.err == nil {
		r.err = errors.New("truncated")
	}
}

// indexKey orders orders newest first; orders of unknown time sort last.
func indexKey(placedAt time.Time, orderID string) []byte {
	k := make([]byte, 8, 8+len(orderID))
	binary.BigEndian.PutUint64(k, uint64(math.MaxInt64-unixNano(placedAt)))
	return append(k, orderID...)
}
