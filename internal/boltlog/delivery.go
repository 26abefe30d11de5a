package boltlog

import (
	"context"
	"fmt"
	"sync"
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
	// verdicts tracks the goroutines of the Subscribe call; it ends after
	// them.
	verdicts *sync.WaitGroup
}

// delivery is a message handed to the consumer, awaiting its verdict.
type delivery struct {
	msg    *message.Message
	off    uint64
	cancel context.CancelFunc
}

// run hands out the partition's messages in offset order, as fast as the
// consumer takes them and the cursor's window allows, without waiting for
// acks. It claims every message ready at once and builds them before
// sending any, so that a consumer woken by the first finds the rest
// waiting. One goroutine takes the verdicts of the messages delivered, in
// delivery order (see settle).
func (s *subscription) run() {
	delivered := make(chan delivery, s.cursor.maxInFlight)
	defer close(delivered)
	s.verdicts.Go(func() { s.settle(delivered) })
	var claims []claim
	var out []delivery
	for {
		var ok bool
		claims, ok = s.claim(claims[:0])
		if !ok {
			return
		}
		out = out[:0]
		for _, cl := range claims {
			msg := cl.rec.message(s.cursor.partition, cl.off)
			ctx, cancel := context.WithCancel(s.ctx)
			msg.SetContext(ctx)
			out = append(out, delivery{msg: msg, off: cl.off, cancel: cancel})
		}
		clear(claims)
		for i, d := range out {
			select {
			case s.out <- d.msg:
				delivered <- d
			case <-s.ctx.Done():
				for _, d := range out[i:] {
					d.cancel()
					s.cursor.requeue(d.off)
				}
				return
			}
		}
		clear(out)
	}
}

// settle applies the verdicts of delivered messages in the order they were
// delivered. Taking them in order costs nothing the position could have
// gained, since it moves only over a fully-acked prefix; a message nacked
// behind an undecided one goes out again once that one is decided. One
// goroutine per partition, rather than one per message, keeps the
// scheduler's queues short when thousands of messages are in flight.
func (s *subscription) settle(delivered <-chan delivery) {
	for d := range delivered {
		s.await(d.msg, d.off)
		d.cancel()
	}
}

// await waits for msg's verdict and applies it to the cursor: an ack may
// move the group's position, a nack makes the offset due again after
// NackDelay, and the end of the subscription makes it due at once for
// whichever subscription of the group comes next.
func (s *subscription) await(msg *message.Message, off uint64) {
	c := s.cursor
	select {
	case <-msg.Acked():
		s.acked(off)
	case <-msg.Nacked():
		c.park(off)
		time.AfterFunc(s.log.cfg.NackDelay, func() { c.requeue(off) })
	case <-s.ctx.Done():
		select {
		case <-msg.Acked(): // an ack that raced the end still counts
			s.acked(off)
		default:
			c.requeue(off)
		}
	}
}

func (s *subscription) acked(off uint64) {
	c := s.cursor
	if !c.ack(off) {
		return
	}
	if c.queued.CompareAndSwap(false, true) {
		s.log.commitOffset(c)
	}
	c.signal()
}

// claim is one offset handed out for delivery.
type claim struct {
	rec record
	off uint64
}

// claim appends the messages ready to deliver (at most ReadAhead) to
// claims, reading ahead from bbolt or waiting for an append, an ack or a
// redelivery as need be. It reports false when the subscription has ended.
func (s *subscription) claim(claims []claim) ([]claim, bool) {
	c := s.cursor
	for {
		if s.ctx.Err() != nil {
			return claims, false
		}
		c.mu.Lock()
		for len(claims) < s.log.cfg.ReadAhead {
			rec, off, ok := c.claimLocked()
			if !ok {
				break
			}
			claims = append(claims, claim{rec, off})
		}
		if len(claims) > 0 {
			c.mu.Unlock()
			return claims, true
		}
		changed := c.waitLocked()
		var appended <-chan struct{}
		from, read := c.wantsRead()
		learn := false
		if read {
			ready, wake, known := s.log.hub.await(c.tp(), from)
			switch {
			case !known:
				read, learn = false, true
			case ready:
				c.reading = true
			default:
				read, appended = false, wake
			}
		}
		c.mu.Unlock()

		switch {
		case learn:
			if _, err := s.log.endOffset(c.tp()); err != nil && !s.retry(err, from) {
				return claims, false
			}
		case read:
			first, recs, err := s.log.tails.read(c.tp(), from, s.log.cfg.ReadAhead, func() (uint64, []record, error) {
				return s.log.readChunk(c.tp(), from, s.log.cfg.ReadAhead)
			})
			if err == nil && len(recs) == 0 {
				err = fmt.Errorf("%w: topic %q partition %d has no offset %d", ErrCorruptRecord, c.topic, c.partition, from)
			}
			if err != nil {
				c.readDone(nil)
				if !s.retry(err, from) {
					return claims, false
				}
				continue
			}
			if first != from {
				// The offsets from from on were deleted (DeleteBefore).
				if !c.skipTo(first, recs) {
					// Messages below them are still in flight: go on
					// once they are settled.
					select {
					case <-changed:
					case <-s.ctx.Done():
						return claims, false
					}
					continue
				}
				if c.queued.CompareAndSwap(false, true) {
					s.log.commitOffset(c)
				}
				continue
			}
			c.readDone(recs)
		default:
			select {
			case <-changed:
			case <-appended:
			case <-s.ctx.Done():
				return claims, false
			}
		}
	}
}

func (s *subscription) retry(err error, offset uint64) bool {
	s.log.cfg.Logger.Error("Cannot read log, retrying", err, watermill.LogFields{
		"group": s.cursor.group, "topic": s.cursor.topic, "partition": s.cursor.partition, "offset": offset,
	})
	t := time.NewTimer(retryDelay)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.ctx.Done():
		return false
	}
}
