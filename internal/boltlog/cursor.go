package boltlog

import (
	"slices"
	"sync"
	"sync/atomic"
)

// groupPartition names a consumer group's position on one partition.
type groupPartition struct {
	group     string
	topic     string
	partition int
}

// slotState is where one handed-out offset of a cursor's window stands.
type slotState uint8

const (
	outstanding slotState = iota // with a consumer, verdict pending
	parked                       // nacked or abandoned, waiting to go out again
	done                         // acked
)

type slot struct {
	rec   record // kept until acked, for redelivery
	state slotState
}

// cursor is a consumer group's position on one partition of a topic,
// shared by every subscription of that group and topic in the process.
//
// The offsets from committed onwards that have been handed out form the
// window: window[i] is offset committed+i. An ack marks its slot done, and
// the done prefix of the window is dropped, which moves committed: so
// committed is always the end of the longest fully-acked prefix. At most
// maxInFlight offsets are in the window, acked or not; that bounds both the
// memory a cursor holds and how far redelivery after a crash reaches.
//
// An offset is handed out to one subscription at a time: it leaves ahead
// or retry under mu and goes back to retry only when its delivery ends
// without an ack.
type cursor struct {
	groupPartition
	maxInFlight int

	// pos mirrors committed for readers that do not take mu, such as the
	// writer and Committed.
	pos atomic.Uint64
	// queued is set while the writer has this cursor in its pending set,
	// so a burst of acks costs the writer one request.
	queued atomic.Bool

	mu        sync.Mutex
	committed uint64
	window    []slot
	// ahead holds records read ahead of delivery; ahead[0] is at offset
	// committed+len(window).
	ahead []record
	// retry holds parked offsets that are due again, ascending.
	retry []uint64
	// reading is set while one subscription reads ahead for all.
	reading bool
	// changed is closed (and replaced) when the window shrinks, an offset
	// becomes due again or a read ahead lands, if anyone waits on it.
	changed chan struct{}
	waited  bool
}

func (c *cursor) tp() topicPartition {
	return topicPartition{c.topic, c.partition}
}

// cursors keeps one cursor per (group, topic, partition) for the life of the
// Log, so that acks not yet flushed to bbolt are never forgotten by a later
// subscription. Its size grows with groups times partitions, never with
// messages.
type cursors struct {
	mu          sync.Mutex
	m           map[groupPartition]*cursor
	maxInFlight int
}

func newCursors(maxInFlight int) *cursors {
	return &cursors{m: make(map[groupPartition]*cursor), maxInFlight: maxInFlight}
}

func (cs *cursors) lookup(key groupPartition) *cursor {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return cs.m[key]
}

// get returns the cursor of key, creating it at the durable position load
// reports.
func (cs *cursors) get(key groupPartition, load func() (uint64, error)) (*cursor, error) {
	if c := cs.lookup(key); c != nil {
		return c, nil
	}
	// No cursor means no ack of this partition in this process: bbolt is
	// exact.
	next, err := load()
	if err != nil {
		return nil, err
	}
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if c, ok := cs.m[key]; ok {
		return c, nil
	}
	c := &cursor{groupPartition: key, maxInFlight: cs.maxInFlight, committed: next, changed: make(chan struct{})}
	c.pos.Store(next)
	cs.m[key] = c
	return c, nil
}

// claimLocked hands out the next offset to deliver, if there is one ready:
// the lowest parked offset that is due again, else the next fresh record
// while the window has room. The caller holds mu.
func (c *cursor) claimLocked() (record, uint64, bool) {
	if len(c.retry) > 0 {
		off := c.retry[0]
		c.retry = c.retry[1:]
		if len(c.retry) == 0 {
			c.retry = nil
		}
		s := &c.window[off-c.committed]
		s.state = outstanding
		return s.rec, off, true
	}
	if len(c.window) < c.maxInFlight && len(c.ahead) > 0 {
		rec := c.ahead[0]
		c.ahead[0] = record{}
		c.ahead = c.ahead[1:]
		if len(c.ahead) == 0 {
			c.ahead = nil
		}
		c.window = append(c.window, slot{rec: rec})
		return rec, c.committed + uint64(len(c.window)) - 1, true
	}
	return record{}, 0, false
}

// wantsRead reports the offset to read ahead from when the window has room
// and nothing is read ahead or being read. The caller holds mu.
func (c *cursor) wantsRead() (uint64, bool) {
	if len(c.window) >= c.maxInFlight || len(c.ahead) > 0 || c.reading {
		return 0, false
	}
	return c.committed + uint64(len(c.window)), true
}

// waitLocked returns a channel closed on the cursor's next change. The
// caller holds mu.
func (c *cursor) waitLocked() <-chan struct{} {
	c.waited = true
	return c.changed
}

// signalLocked wakes every waiter. The caller holds mu.
func (c *cursor) signalLocked() {
	if c.waited {
		close(c.changed)
		c.changed = make(chan struct{})
		c.waited = false
	}
}

// readDone ends a read ahead, storing recs (which start at the offset
// wantsRead reported).
func (c *cursor) readDone(recs []record) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reading = false
	c.ahead = recs
	c.signalLocked()
}

// skipTo moves the cursor past a deleted prefix to first, where recs (read
// ahead) start, ending the read ahead. It does so only when no offset is
// in the window (every message handed out has been acked), since the
// window's offsets must stay consecutive; otherwise it reports false and
// leaves the cursor as it was, not reading.
func (c *cursor) skipTo(first uint64, recs []record) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reading = false
	if len(c.window) > 0 || first < c.committed {
		return false
	}
	c.committed = first
	c.pos.Store(first)
	c.ahead = recs
	c.signalLocked()
	return true
}

// ack marks off acked and reports whether that moved the committed
// position. If it did, the caller queues the position for the writer and
// then calls signal, so that whoever is handed the next message knows the
// ack before it is on its way to the disk.
func (c *cursor) ack(off uint64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	i, ok := c.slot(off)
	if !ok {
		return false
	}
	c.window[i] = slot{state: done}
	if i != 0 {
		return false
	}
	n := 0
	for n < len(c.window) && c.window[n].state == done {
		n++
	}
	clear(c.window[:n])
	c.window = c.window[n:]
	if len(c.window) == 0 {
		c.window = nil
	}
	c.committed += uint64(n)
	c.pos.Store(c.committed)
	return true
}

// signal wakes every waiter.
func (c *cursor) signal() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.signalLocked()
}

// park takes off out of delivery until requeue makes it due again.
func (c *cursor) park(off uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if i, ok := c.slot(off); ok {
		c.window[i].state = parked
	}
}

// requeue makes a parked (or still outstanding) off due for delivery again.
func (c *cursor) requeue(off uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	i, ok := c.slot(off)
	if !ok || c.window[i].state == done {
		return
	}
	c.window[i].state = parked
	if j, found := slices.BinarySearch(c.retry, off); !found {
		c.retry = slices.Insert(c.retry, j, off)
	}
	c.signalLocked()
}

// slot is the window index of off, if off is in the window. The caller
// holds mu.
func (c *cursor) slot(off uint64) (int, bool) {
	if off < c.committed || off-c.committed >= uint64(len(c.window)) {
		return 0, false
	}
	return int(off - c.committed), true
}
