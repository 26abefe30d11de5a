package boltlog

import (
	"context"
	"fmt"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
)

// retryDelay is the pause before a subscription retries a failed read.
const retryDelay = time.Second

// subscription is a goroutine behind one Subscribe call: it delivers one
// partition of the topic. A Subscribe call runs one per partition, all
// sending to the same channel.
type subscription struct {
	log    *Log
	cursor *cursor
	ctx    context.Context // ends the subscription when done
	out    chan<- *message.Message
}

func (s *subscription) run() {
	for s.deliverNext() {
	}
}

type outcome int

const (
	acked outcome = iota
	nacked
	stopped
)

// deliverNext takes the cursor's token, delivers the head message until it
// is acked, and gives the token back. It reports false when the
// subscription has ended.
func (s *subscription) deliverNext() bool {
	c := s.cursor
	select {
	case <-c.token:
	case <-s.ctx.Done():
		return false
	}
	defer func() { c.token <- struct{}{} }()

	rec, ok := s.head()
	if !ok {
		return false
	}
	offset := c.next.Load()
	for {
		switch s.deliver(rec, offset) {
		case acked:
			s.log.commitOffset(c.groupPartition, c.acked())
			return true
		case nacked:
			if !s.sleep(s.log.cfg.NackDelay) {
				return false
			}
		case stopped:
			return false
		}
	}
}

// deliver hands one fresh copy of rec to the consumer and waits for its
// verdict.
func (s *subscription) deliver(rec record, offset uint64) outcome {
	if s.ctx.Err() != nil {
		return stopped
	}
	msg := rec.message(s.cursor.partition, offset)
	ctx, cancel := context.WithCancel(s.ctx)
	defer cancel()
	msg.SetContext(ctx)

	select {
	case s.out <- msg:
	case <-s.ctx.Done():
		return stopped
	}
	select {
	case <-msg.Acked():
		return acked
	case <-msg.Nacked():
		return nacked
	case <-s.ctx.Done():
		select {
		case <-msg.Acked(): // an ack that raced the end still counts
			return acked
		default:
			return stopped
		}
	}
}

// head returns the record at the cursor's position, waiting for it to be
// appended if need be. It reports false when the subscription has ended.
func (s *subscription) head() (record, bool) {
	c := s.cursor
	for {
		if len(c.ahead) > 0 {
			return c.ahead[0], true
		}
		next := c.next.Load()
		ready, wake, known := s.log.hub.await(c.tp(), next)
		switch {
		case !known:
			if _, err := s.log.endOffset(c.tp()); err != nil && !s.retry(err) {
				return record{}, false
			}
		case ready:
			recs, err := s.log.readChunk(c.tp(), next, s.log.cfg.ReadAhead)
			if err == nil && len(recs) == 0 {
				err = fmt.Errorf("%w: topic %q partition %d has no offset %d", ErrCorruptRecord, c.topic, c.partition, next)
			}
			if err != nil {
				if !s.retry(err) {
					return record{}, false
				}
				continue
			}
			c.ahead = recs
		default:
			select {
			case <-wake:
			case <-s.ctx.Done():
				return record{}, false
			}
		}
	}
}

func (s *subscription) retry(err error) bool {
	s.log.cfg.Logger.Error("Cannot read log, retrying", err, watermill.LogFields{
		"group": s.cursor.group, "topic": s.cursor.topic, "partition": s.cursor.partition, "offset": s.cursor.next.Load(),
	})
	return s.sleep(retryDelay)
}

// sleep waits d unless the subscription ends first.
func (s *subscription) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.ctx.Done():
		return false
	}
}
