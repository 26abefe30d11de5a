package boltlog

import (
	"sync"
	"sync/atomic"
)

// cursor is a consumer group's position on one topic, shared by every
// subscription of that group and topic in the process. Whoever holds token
// is the only one delivering, which makes one message in flight per group
// and topic and keeps delivery in log order across competing subscribers.
type cursor struct {
	group, topic string

	// next is the offset of the first un-acked message. It is written only
	// by the token holder and read by anyone.
	next atomic.Uint64

	// token has capacity one; receiving takes the right to deliver.
	token chan struct{}

	// ahead holds records read ahead of delivery; ahead[0] is at offset
	// next. Only the token holder touches it. It is emptied as messages are
	// acked, so an idle, caught-up cursor holds no messages.
	ahead []record
}

// cursors keeps one cursor per (group, topic) for the life of the Log, so
// that acks not yet flushed to bbolt are never forgotten by a later
// subscription. Its size grows with groups times topics, never with messages.
type cursors struct {
	mu sync.Mutex
	m  map[groupTopic]*cursor
}

func newCursors() *cursors {
	return &cursors{m: make(map[groupTopic]*cursor)}
}

func (cs *cursors) lookup(group, topic string) *cursor {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return cs.m[groupTopic{group, topic}]
}

// get returns the cursor of group on topic, creating it at the durable
// position load reports.
func (cs *cursors) get(group, topic string, load func() (uint64, error)) (*cursor, error) {
	if c := cs.lookup(group, topic); c != nil {
		return c, nil
	}
	// No cursor means no ack of this pair in this process: bbolt is exact.
	next, err := load()
	if err != nil {
		return nil, err
	}
	cs.mu.Lock()
	defer cs.mu.Unlock()
	key := groupTopic{group, topic}
	if c, ok := cs.m[key]; ok {
		return c, nil
	}
	c := &cursor{group: group, topic: topic, token: make(chan struct{}, 1)}
	c.next.Store(next)
	c.token <- struct{}{}
	cs.m[key] = c
	return c, nil
}

// acked moves the cursor past its head message. Token holder only.
func (c *cursor) acked() uint64 {
	if len(c.ahead) > 0 {
		c.ahead[0] = record{}
		c.ahead = c.ahead[1:]
	}
	if len(c.ahead) == 0 {
		c.ahead = nil
	}
	next := c.next.Load() + 1
	c.next.Store(next)
	return next
}
