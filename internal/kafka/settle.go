package kafka

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
)

// ackSettle is how long a subscription outlives its context or Close after
// the last ack it saw.
const ackSettle = 250 * time.Millisecond

// settlingSubscriber mends a race in watermill-kafka: it records an acked
// message's offset asynchronously and drops the mark if the subscription is
// torn down in the same instant, so the message looks unconsumed and comes
// back after a restart (a redrive stopping right after its last ack left that
// letter pending for ever). Here a subscription whose context ends, or a
// subscriber being closed, waits until ackSettle has passed since the last
// ack before the inner subscription is torn down; with no recent ack it
// stops at once.
type settlingSubscriber struct {
	inner   message.Subscriber
	lastAck atomic.Int64 // unix nanoseconds of the last ack seen

	mu      sync.Mutex
	cancels []context.CancelFunc // of the inner subscriptions

	closing    chan struct{} // closed by Close once settled
	closeOnce  sync.Once
	forwarders sync.WaitGroup
}

func newSettlingSubscriber(inner message.Subscriber) *settlingSubscriber {
	return &settlingSubscriber{inner: inner, closing: make(chan struct{})}
}

// Subscribe implements message.Subscriber.
func (s *settlingSubscriber) Subscribe(ctx context.Context, topic string) (<-chan *message.Message, error) {
	innerCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	in, err := s.inner.Subscribe(innerCtx, topic)
	if err != nil {
		cancel()
		return nil, err
	}
	s.mu.Lock()
	s.cancels = append(s.cancels, cancel)
	s.mu.Unlock()
	context.AfterFunc(ctx, func() {
		s.settle()
		cancel()
	})
	out := make(chan *message.Message)
	s.forwarders.Go(func() {
		defer close(out)
		for msg := range in {
			go s.watch(innerCtx, msg)
			select {
			case out <- msg:
			case <-ctx.Done():
			case <-s.closing:
			}
			if ctx.Err() != nil || s.isClosing() {
				// A message not handed over is never acked and comes
				// back later. Drain until the inner subscription ends.
				for range in {
				}
				return
			}
		}
	})
	return out, nil
}

// watch notes when msg is acked.
func (s *settlingSubscriber) watch(ctx context.Context, msg *message.Message) {
	select {
	case <-msg.Acked():
		s.lastAck.Store(time.Now().UnixNano())
	case <-msg.Nacked():
	case <-ctx.Done():
	}
}

// settle waits out what remains of ackSettle since the last ack.
func (s *settlingSubscriber) settle() {
	if wait := ackSettle - time.Since(time.Unix(0, s.lastAck.Load())); wait > 0 {
		time.Sleep(wait)
	}
}

func (s *settlingSubscriber) isClosing() bool {
	select {
	case <-s.closing:
		return true
	default:
		return false
	}
}

// Close implements message.Subscriber. When it returns, every channel
// Subscribe gave out is closed.
func (s *settlingSubscriber) Close() error {
	s.settle()
	s.closeOnce.Do(func() { close(s.closing) })
	s.mu.Lock()
	for _, cancel := range s.cancels {
		cancel()
	}
	s.cancels = nil
	s.mu.Unlock()
	err := s.inner.Close()
	s.forwarders.Wait()
	return err
}

// SubscribeInitialize implements message.SubscribeInitializer: it creates
// the topic like EnsureTopics does.
func (s *settlingSubscriber) SubscribeInitialize(topic string) error {
	return s.inner.(message.SubscribeInitializer).SubscribeInitialize(topic)
}
