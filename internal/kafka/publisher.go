package kafka

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
)

// ErrPublishTimeout is returned when a Publish call did not complete within
// Config.PublishTimeout. The messages may still be written afterwards.
var ErrPublishTimeout = errors.New("kafka: publish timed out")

// NewPublisher returns a publisher to the cluster in cfg. It needs a reachable
// cluster to start.
//
// Publish is synchronous and safe for concurrent use. It returns nil once
// every message is on all in-sync replicas (acks=all), in the order given.
// Otherwise it returns an error within about cfg.PublishTimeout per call,
// ErrPublishTimeout if the cluster did not answer in time; messages of a
// failed call may still have been written (see the package doc). The
// producer is idempotent, so its own retries never duplicate a message.
// Messages are keyed by cfg.PartitionKey: messages with one key share a
// partition and keep their order. Metadata travel as record headers.
// Concurrent calls share produce requests (see batchProducer).
func NewPublisher(cfg Config) (message.Publisher, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	sc, err := producerConfig(cfg)
	if err != nil {
		return nil, err
	}
	pub, err := newBatchProducer(cfg.Brokers, sc, newMarshaler(cfg))
	if err != nil {
		return nil, fmt.Errorf("kafka: publisher for %s: %w", cfg, err)
	}
	return &boundedPublisher{pub: pub, timeout: cfg.PublishTimeout}, nil
}

// boundedPublisher gives every Publish call a deadline. sarama has no overall
// delivery timeout: an unresponsive broker costs a network timeout per retry,
// metadata refresh and producer-epoch bump. producerConfig keeps those short,
// so an abandoned send ends on its own soon after.
//
// Sends hold mu shared and Close holds it exclusively, so Close waits for
// abandoned sends and never races them.
type boundedPublisher struct {
	pub     message.Publisher
	timeout time.Duration

	mu     sync.RWMutex
	closed bool
}

// Publish implements message.Publisher.
func (p *boundedPublisher) Publish(topic string, msgs ...*message.Message) error {
	done := make(chan error, 1)
	go func() {
		p.mu.RLock()
		defer p.mu.RUnlock()
		if p.closed {
			done <- errors.New("publisher closed")
			return
		}
		done <- p.pub.Publish(topic, msgs...)
	}()
	timer := time.NewTimer(p.timeout)
	defer timer.Stop()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("kafka: publish to %s: %w", topic, err)
		}
		return nil
	case <-timer.C:
		return fmt.Errorf("kafka: publish to %s after %s: %w", topic, p.timeout, ErrPublishTimeout)
	}
}

// Close implements message.Publisher; it waits for sends in flight.
func (p *boundedPublisher) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil
	}
	p.closed = true
	if err := p.pub.Close(); err != nil {
		return fmt.Errorf("kafka: close publisher: %w", err)
	}
	return nil
}
