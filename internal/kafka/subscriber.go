package kafka

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
)

// Pacing. A nacked message comes back after nackDelay, so a handler failing
// for a while (its store is down) does not spin. Commits made while
// partitions are revoked or the subscriber closes get commitTimeout.
const (
	nackDelay     = 500 * time.Millisecond
	commitTimeout = 10 * time.Second
)

// ErrSubscriberClosed is returned by Subscribe after Close.
var ErrSubscriberClosed = errors.New("kafka: subscriber closed")

// Subscriber consumes topics in one consumer group with many messages in
// flight per partition (see the package doc). It implements
// message.Subscriber and message.SubscribeInitializer, and is safe for
// concurrent use. Each Subscribe call joins the group with a client of its
// own, as watermill-kafka's subscriber does.
type Subscriber struct {
	cfg   Config
	group string

	mu     sync.Mutex
	closed bool
	subs   map[*subscription]struct{}
	topics map[string]int // Subscribe calls per topic, for instance ids
}

// NewSubscriber returns a subscriber consuming in the consumer group named
// group; every role uses its own group. A group seen for the first time starts
// at the oldest offset. Delivery is at least once (see the package doc).
func NewSubscriber(cfg Config, group string) (*Subscriber, error) {
	cfg.setDefaults()
	err := cfg.Validate()
	if group == "" {
		err = errors.Join(err, errors.New("kafka: consumer group name is empty"))
	}
	if err != nil {
		return nil, err
	}
	return &Subscriber{cfg: cfg, group: group, subs: map[*subscription]struct{}{}, topics: map[string]int{}}, nil
}

// Subscribe implements message.Subscriber. The channel closes when ctx ends
// or the subscriber closes; the acked prefixes are committed first.
// Messages handed out and not acked by then are delivered again later.
func (s *Subscriber) Subscribe(ctx context.Context, topic string) (<-chan *message.Message, error) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, ErrSubscriberClosed
	}
	n := s.topics[topic]
	s.topics[topic]++
	s.mu.Unlock()

	sub, err := newSubscription(s.cfg, s.group, topic, s.instanceID(topic, n))
	if err != nil {
		return nil, fmt.Errorf("kafka: subscribe to %s as %s: %w", topic, s.group, err)
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		sub.stop()
		return nil, ErrSubscriberClosed
	}
	s.subs[sub] = struct{}{}
	s.mu.Unlock()
	context.AfterFunc(ctx, func() {
		sub.stop()
		s.mu.Lock()
		delete(s.subs, sub)
		s.mu.Unlock()
	})
	return sub.out, nil
}

// instanceID is the static member id of the n-th subscription (from 0) to
// topic: one per topic, since each subscription is a member of its own.
func (s *Subscriber) instanceID(topic string, n int) string {
	if s.cfg.InstanceID == "" {
		return ""
	}
	id := s.cfg.InstanceID + "-" + topic
	if n > 0 {
		id += "-" + strconv.Itoa(n)
	}
	return id
}

// SubscribeInitialize implements message.SubscribeInitializer: it creates
// the topic like EnsureTopics does.
func (s *Subscriber) SubscribeInitialize(topic string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return EnsureTopics(ctx, s.cfg, []string{topic})
}

// Close implements message.Subscriber. It stops every subscription, commits
// their acked prefixes and, when it returns, every channel Subscribe gave
// out is closed.
func (s *Subscriber) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	subs := s.subs
	s.subs = nil
	s.mu.Unlock()
	var wg sync.WaitGroup
	for sub := range subs {
		wg.Go(sub.stop)
	}
	wg.Wait()
	return nil
}

func logFields(topic, group string) watermill.LogFields {
	return watermill.LogFields{"topic": topic, "consumer_group": group}
}
