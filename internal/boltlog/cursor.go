package boltlog

import (
	"sync"
	"sync/atomic"
)

// groupPartition names a consumer group's position on one partition.
type groupPartition struct {
	group     string
	topic     string
	partition int
}

// cursor is a consumer group's position on one partition of a topic,
// shared by every subscription of that group and topic in the process.
// Whoever holds token is the only one delivering from the partition, which
// makes one message in flight per group and partition and keeps delivery in
// partition order across competing subscribers.
type cursor struct {
	groupPartition

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

func (c *cursor) tp() topicPartition {
	return topicPartition{c.topic, c.partition}
}

// cursors keeps one cursor per (group, topic, partition) for the life of the
// Log, so that acks not yet flushed to bbolt are never forgotten by a later
// subscription. Its size grows with groups times partitions, never with
// messages.
type cursors struct {
	mu sync.Mutex
	m  map[groupPartition]*cursor
}

func newCursors() *cursors {
	return &cursors{m: make(map[groupPartition]*cursor)}
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
	c := &cursor{groupPartition: key, token: make(chan struct{}, 1)}
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
