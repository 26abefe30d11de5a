package boltstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// Position is where a message was read from the log.
type Position struct {
	Topic     string
	Partition int32
	Offset    int64
}

// MaxPending bounds the offsets a partition's state keeps above its
// contiguous prefix. It must exceed the in-flight window of every subscriber
// feeding a store (see internal/boltlog and internal/kafka): an offset
// missing while more than MaxPending later ones are applied cannot be in
// flight, so it is a gap in the log (Kafka's retention or control records)
// and the prefix moves past it.
const MaxPending = 8192

// ErrCorruptPosition: a stored position could not be decoded.
var ErrCorruptPosition = errors.New("damaged consumer position")

// Positions records, in the same bbolt transaction as the effects of the
// messages, which offsets of each (topic, partition) have been applied: the
// sink-offset pattern of Kafka Connect sinks. A redelivered message (same
// position) is recognised and skipped. The state per partition is the end of
// its contiguous applied prefix and the few applied offsets above it (there
// are some because subscribers run many messages of a partition at once and
// they commit out of order), so it stays small however long the log grows.
//
// A Positions lives for one transaction; Flush writes what changed.
type Positions struct {
	b     *bolt.Bucket
	cache map[partKey]*partState
}

type partKey struct {
	topic     string
	partition int32
}

type partState struct {
	next    int64   // every offset below next is applied
	above   []int64 // applied offsets above next, sorted
	changed bool
}

// PositionsIn returns the positions kept in bucket b of a writable
// transaction.
func PositionsIn(b *bolt.Bucket) *Positions {
	return &Positions{b: b, cache: map[partKey]*partState{}}
}

// Applied reports whether the message at p was applied already.
func (ps *Positions) Applied(p Position) (bool, error) {
	st, err := ps.state(p)
	if err != nil {
		return false, err
	}
	_, found := slices.BinarySearch(st.above, p.Offset)
	return p.Offset < st.next || found, nil
}

// Mark records the message at p as applied. Call it only after Applied said
// false for p in this transaction.
func (ps *Positions) Mark(p Position) error {
	st, err := ps.state(p)
	if err != nil {
		return err
	}
	i, found := slices.BinarySearch(st.above, p.Offset)
	if found || p.Offset < st.next {
		return nil
	}
	st.above = slices.Insert(st.above, i, p.Offset)
	st.changed = true
	for len(st.above) > 0 && st.above[0] <= st.next {
		if st.above[0] == st.next {
			st.next++
		}
		st.above = st.above[1:]
	}
	if len(st.above) > MaxPending {
		// Everything before the oldest pending offset is a gap: skip it.
		st.next = st.above[0] + 1
		st.above = st.above[1:]
		for len(st.above) > 0 && st.above[0] == st.next {
			st.next++
			st.above = st.above[1:]
		}
	}
	return nil
}

// Flush writes the partitions whose state changed.
func (ps *Positions) Flush() error {
	for k, st := range ps.cache {
		if !st.changed {
			continue
		}
		if err := ps.b.Put(encodeKey(k), encodeState(st)); err != nil {
			return err
		}
		st.changed = false
	}
	return nil
}

func (ps *Positions) state(p Position) (*partState, error) {
	k := partKey{p.Topic, p.Partition}
	if st, ok := ps.cache[k]; ok {
		return st, nil
	}
	st := &partState{}
	if v := ps.b.Get(encodeKey(k)); v != nil {
		var err error
		if st, err = decodeState(v); err != nil {
			return nil, fmt.Errorf("%w: topic %s partition %d: %v", ErrCorruptPosition, p.Topic, p.Partition, err)
		}
	}
	ps.cache[k] = st
	return st, nil
}

func encodeKey(k partKey) []byte {
	return binary.BigEndian.AppendUint32(append([]byte(k.topic), 0), uint32(k.partition))
}

func encodeState(st *partState) []byte {
	v := binary.AppendUvarint(nil, uint64(st.next))
	v = binary.AppendUvarint(v, uint64(len(st.above)))
	prev := st.next
	for _, o := range st.above {
		v = binary.AppendUvarint(v, uint64(o-prev))
		prev = o
	}
	return v
}

func decodeState(v []byte) (*partState, error) {
	next, n := binary.Uvarint(v)
	if n <= 0 {
		return nil, errors.New("bad prefix end")
	}
	v = v[n:]
	count, n := binary.Uvarint(v)
	if n <= 0 || count > MaxPending+1 {
		return nil, errors.New("bad pending count")
	}
	v = v[n:]
	st := &partState{next: int64(next), above: make([]int64, 0, count)}
	prev := st.next
	for range count {
		d, n := binary.Uvarint(v)
		if n <= 0 {
			return nil, errors.New("bad pending offset")
		}
		v = v[n:]
		prev += int64(d)
		st.above = append(st.above, prev)
	}
	if len(v) != 0 {
		return nil, errors.New("trailing bytes")
	}
	return st, nil
}

// Seen is how far a store has applied one partition: every offset below
// End that the log holds has been applied, and none at End or above.
type Seen struct {
	Topic     string
	Partition int32
	End       int64
}

// SeenIn lists, for every partition in bucket b, how far it was applied.
func SeenIn(b *bolt.Bucket) ([]Seen, error) {
	var out []Seen
	err := b.ForEach(func(k, v []byte) error {
		if len(k) < 5 || k[len(k)-5] != 0 {
			return fmt.Errorf("%w: key %q", ErrCorruptPosition, k)
		}
		st, err := decodeState(v)
		if err != nil {
			return fmt.Errorf("%w: %q: %v", ErrCorruptPosition, k, err)
		}
		end := st.next
		if n := len(st.above); n > 0 {
			end = st.above[n-1] + 1
		}
		out = append(out, Seen{Topic: string(k[:len(k)-5]), Partition: int32(binary.BigEndian.Uint32(k[len(k)-4:])), End: end})
		return nil
	})
	return out, err
}
