package kafka

import (
	"context"
	"fmt"
	"time"

	"github.com/IBM/sarama"
	"github.com/ThreeDotsLabs/watermill/message"
)

// ReadAll hands fn every record of topic below the high-water marks taken
// when it starts, without a consumer group and without committing anything.
// It reads partition after partition, each in offset order, and calls fn from
// one goroutine, so one order's events (one partition) arrive in the order
// they were written. Messages carry the same metadata a subscriber delivers,
// received_partition and received_offset included, and ctx as their context.
// ReadAll stops at the first error fn returns and returns it wrapped.
func ReadAll(ctx context.Context, cfg Config, topic string, fn func(msg *message.Message) error) error {
	// Partitions are read one after another, and the broker holds a fetch
	// for an exhausted partition up to MaxWaitTime before answering; at
	// sarama's 500ms default that alone made a replay of 36 partitions take
	// 18 seconds whatever their size.
	client, release, err := connect(ctx, cfg, func(sc *sarama.Config) { sc.Consumer.MaxWaitTime = 10 * time.Millisecond })
	if err != nil {
		return err
	}
	defer release()
	ss, err := spans(ctx, client, topic)
	if err != nil {
		return err
	}
	consumer, err := sarama.NewConsumerFromClient(client)
	if err != nil {
		return fmt.Errorf("kafka: consumer: %w", err)
	}
	defer func() { _ = consumer.Close() }()
	for _, s := range ss {
		if err := readSpan(ctx, consumer, newMarshaler(cfg), topic, s, fn); err != nil {
			return err
		}
	}
	return nil
}

func readSpan(ctx context.Context, consumer sarama.Consumer, m marshaler, topic string, s span, fn func(*message.Message) error) error {
	if s.next <= s.oldest {
		return nil
	}
	pc, err := consumer.ConsumePartition(topic, s.partition, s.oldest)
	if err != nil {
		return fmt.Errorf("kafka: read %s/%d: %w", topic, s.partition, ctxErr(ctx, err))
	}
	defer pc.AsyncClose()
	// Transient errors (a leader moving) are retried by sarama and not
	// reported here; this channel only closes when the consumer stops.
	errs := pc.Errors()
	for {
		select {
		case <-ctx.Done():
			return fmt.Errorf("kafka: read %s/%d: %w", topic, s.partition, ctx.Err())
		case cerr, ok := <-errs:
			if !ok {
				errs = nil
				continue
			}
			return fmt.Errorf("kafka: read %s/%d: %w", topic, s.partition, cerr)
		case rec, ok := <-pc.Messages():
			if !ok {
				return fmt.Errorf("kafka: read %s/%d: partition consumer stopped", topic, s.partition)
			}
			if rec.Offset >= s.next {
				return nil
			}
			msg, err := m.Unmarshal(rec)
			if err != nil {
				return err
			}
			msg.SetContext(ctx)
			if err := fn(msg); err != nil {
				return fmt.Errorf("kafka: handle %s/%d@%d: %w", topic, s.partition, rec.Offset, err)
			}
			if rec.Offset+1 >= s.next {
				return nil
			}
		}
	}
}
