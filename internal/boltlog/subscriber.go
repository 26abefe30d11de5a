package boltlog

import (
	"context"
	"sync"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
)

// subscriber consumes a Log as one consumer group. Subscribe and Close are
// safe for concurrent use. Subscriptions to the same topic, from this or any
// other subscriber of the same group, compete for messages: each offset is
// handed to one of them at a time.
type subscriber struct {
	log   *Log
	group string

	// ctx is cancelled by Close. It is not derived from the Log's context,
	// so a subscriber that is never closed holds nothing in the Log.
	ctx    context.Context
	cancel context.CancelFunc

	mu     sync.Mutex // guards closed against wg.Add
	closed bool
	wg     sync.WaitGroup
}

func newSubscriber(l *Log, group string) *subscriber {
	ctx, cancel := context.WithCancel(context.Background())
	return &subscriber{log: l, group: group, ctx: ctx, cancel: cancel}
}

// Subscribe delivers topic from the group's positions onwards, from every
// partition at once, without waiting for acks: up to Config.MaxInFlight
// un-acked messages per partition are out across all subscriptions of the
// group and topic in the process. Messages of one partition are handed out
// in offset order; a nacked one comes again after Config.NackDelay, behind
// its successors. Messages of different partitions interleave. The channel
// is closed when ctx is cancelled or the subscriber or Log is closed; a
// message in flight at that moment stays un-acked and is delivered again
// later. Each message's context is cancelled once it is acked or nacked, or
// when the subscription ends.
func (s *subscriber) Subscribe(ctx context.Context, topic string) (<-chan *message.Message, error) {
	if !validName(s.group) {
		return nil, ErrInvalidGroup
	}
	if !validName(topic) {
		return nil, ErrInvalidTopic
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrClosed
	}
	if err := s.log.enter(); err != nil {
		return nil, err
	}
	cs, err := s.cursors(topic)
	if err != nil {
		s.log.active.Done()
		return nil, err
	}

	subCtx, cancel := context.WithCancel(ctx)
	stopOnClose := context.AfterFunc(s.ctx, cancel)
	stopOnLogClose := context.AfterFunc(s.log.ctx, cancel)
	// Buffered, so that a consumer taking messages in batches finds a
	// batch waiting rather than one message per handoff. Messages still
	// in the buffer when the subscription ends are dropped from it (their
	// offsets are handed out again), so nothing is received after Close.
	out := make(chan *message.Message, s.log.cfg.ReadAhead)
	fields := watermill.LogFields{"group": s.group, "topic": topic, "partitions": len(cs)}
	s.log.cfg.Logger.Debug("Subscribed", fields)

	var parts sync.WaitGroup
	for _, c := range cs {
		sub := &subscription{log: s.log, cursor: c, ctx: subCtx, out: out, verdicts: &parts}
		parts.Go(sub.run)
	}
	s.wg.Add(1)
	go func() {
		defer s.log.active.Done()
		defer s.wg.Done()
		defer drainAndClose(out)
		defer stopOnLogClose()
		defer stopOnClose()
		defer cancel()
		parts.Wait()
		s.log.cfg.Logger.Debug("Subscription ended", fields)
	}()
	return out, nil
}

// cursors returns the group's cursor on every partition of topic.
func (s *subscriber) cursors(topic string) ([]*cursor, error) {
	n, err := s.log.partitions(topic)
	if err != nil {
		return nil, err
	}
	cs := make([]*cursor, n)
	for p := range cs {
		key := groupPartition{s.group, topic, p}
		cs[p], err = s.log.cursors.get(key, func() (uint64, error) {
			return s.log.committedDB(key)
		})
		if err != nil {
			return nil, err
		}
	}
	return cs, nil
}

// Close ends this subscriber's subscriptions and waits for them to stop.
// It does not close the Log and is idempotent.
func (s *subscriber) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
	return nil
}

// drainAndClose empties a subscription's channel of messages its consumer
// has not taken, then closes it.
func drainAndClose(out chan *message.Message) {
	for {
		select {
		case <-out:
		default:
			close(out)
			return
		}
	}
}
