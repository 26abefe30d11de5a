package boltlog

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/singleflight"
)

// tails shares what one consumer group reads from a partition with the
// other groups that read the same offsets: the kitchen's stages and the
// views follow the same topics, and after an append every group of a
// partition wakes to read the same new records. Reads of the same offset
// that overlap are done once (singleflight), and the last few chunks read
// per partition are kept for a group that comes a moment later. With two
// groups per topic, as in the kitchen, about half the reads are served
// so. Records are never changed once read, so sharing them is safe; every
// caller gets its own slice.
//
// Offsets never change meaning while a partition only grows. Deleting a
// prefix (DeleteBefore) is the one way a cached record could stop being
// there, so every such commit bumps trims and every older chunk is
// ignored from then on.
type tails struct {
	flight singleflight.Group
	trims  atomic.Uint64

	mu sync.Mutex
	m  map[topicPartition][]tail // the newest last
}

// maxTailBytes bounds the payload of a chunk kept per partition, so that
// what tails holds stays small however large messages are: a chunk of
// pizza events is about 25 KiB.
const maxTailBytes = 64 << 10

// tailChunks is how many chunks are kept per partition: enough for a
// group a few reads behind another.
const tailChunks = 4

// tail is the last chunk read from a partition.
type tail struct {
	first uint64
	recs  []record
	trims uint64
}

// chunk is the result of one shared read.
type chunk struct {
	first uint64
	recs  []record
}

func newTails() *tails { return &tails{m: make(map[topicPartition][]tail)} }

// read returns what read(from) returns, reading it at most once for
// callers that ask for the same offset of tp at the same time, or not at
// all if the last chunk read from tp covers from.
func (t *tails) read(tp topicPartition, from uint64, limit int, read func() (uint64, []record, error)) (uint64, []record, error) {
	if recs, ok := t.cached(tp, from, limit); ok {
		return from, recs, nil
	}
	key := fmt.Sprintf("%s\x00%d\x00%d\x00%d", tp.topic, tp.partition, from, limit)
	v, err, _ := t.flight.Do(key, func() (any, error) {
		trims := t.trims.Load() // before the read: a trim after it makes the chunk stale
		first, recs, err := read()
		if err != nil {
			return nil, err
		}
		t.keep(tp, first, recs, trims)
		return chunk{first, recs}, nil
	})
	if err != nil {
		return 0, nil, err
	}
	c := v.(chunk)
	return c.first, slices.Clone(c.recs), nil
}

func (t *tails) cached(tp topicPartition, from uint64, limit int) ([]record, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	trims := t.trims.Load()
	for _, e := range t.m[tp] {
		if e.trims != trims || from < e.first || from-e.first >= uint64(len(e.recs)) {
			continue
		}
		i := int(from - e.first)
		return slices.Clone(e.recs[i : i+min(len(e.recs)-i, limit)]), true
	}
	return nil, false
}

func (t *tails) keep(tp topicPartition, first uint64, recs []record, trims uint64) {
	size := 0
	for _, r := range recs {
		size += len(r.payload)
	}
	if len(recs) == 0 || size > maxTailBytes {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	kept := t.m[tp]
	if len(kept) == tailChunks {
		kept = append(kept[:0], kept[1:]...)
	}
	t.m[tp] = append(kept, tail{first: first, recs: recs, trims: trims})
}

// trimmed is told after a commit that deleted records.
func (t *tails) trimmed() { t.trims.Add(1) }
