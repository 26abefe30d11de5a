package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	bolt "go.etcd.io/bbolt"

	"github.com/pizzeria/pizzeria/events"
	"github.com/pizzeria/pizzeria/internal/boltlog"
	"github.com/pizzeria/pizzeria/internal/boltstore"
	"github.com/pizzeria/pizzeria/internal/kafka"
)

// transport is the event log as the roles see it. Only this package knows
// which one runs: the embedded bbolt log or Kafka.
type transport interface {
	Publisher() message.Publisher
	Subscriber(group string) (message.Subscriber, error)
	// ReadAll reads a topic from its oldest message to its end as of the call.
	ReadAll(ctx context.Context, topic string, fn func(*message.Message) error) error
	// Count is how many messages topic holds.
	Count(ctx context.Context, topic string) (int64, error)
	// Lag is how many messages of topics group has yet to process.
	Lag(ctx context.Context, group string, topics []string) (int64, error)
	// PartitionLag is Lag per topic and partition.
	PartitionLag(ctx context.Context, group string, topics []string) (map[string]map[int32]int64, error)
	// Ping says whether the log is reachable.
	Ping(ctx context.Context) error
	Close() error
}

// openTransport opens the configured log. On either log the dead-letter
// topic has a single partition, so that its letters have one order. On Kafka
// it first creates any missing topic, waiting for the cluster while it is
// unreachable: roles started before their broker come up by themselves.
func openTransport(ctx context.Context, cfg *config, logger watermill.LoggerAdapter, topics events.Topics) (transport, error) {
	if cfg.Broker != "kafka" {
		var log *boltlog.Log
		path := filepath.Join(cfg.DataDir, "log.db")
		err := boltstore.Guard(path, func() (err error) {
			log, err = boltlog.Open(boltlog.Config{
				Path:         path,
				Logger:       logger,
				PartitionKey: func(msg *message.Message) string { return msg.Metadata.Get(events.MetaCorrelationID) },
				PartitionsFor: func(topic string) int {
					if topic == topics.DeadLetters {
						return 1
					}
					return 0 // boltlog's default
				},
			})
			return err
		})
		if errors.Is(err, bolt.ErrTimeout) {
			return nil, fmt.Errorf("%s is held by another pizzeria process (one process per data dir): stop it first, or use the running service's /admin endpoints", filepath.Join(cfg.DataDir, "log.db"))
		}
		if err != nil {
			return nil, err
		}
		return embeddedTransport{log}, nil
	}
	kc := cfg.Kafka
	kc.Logger = logger
	kc.PartitionKey = func(msg *message.Message) string { return msg.Metadata.Get(events.MetaCorrelationID) }
	kc.PartitionMetadata, kc.OffsetMetadata = events.MetaReceivedPartition, events.MetaReceivedOffset
	for attempt := 1; ; attempt++ {
		t, err := connectKafka(ctx, kc, topics, cfg.DeadLetterRetention)
		if err == nil {
			return t, nil
		}
		logger.Error("Kafka is not reachable yet, retrying", err, watermill.LogFields{"brokers": kc.Brokers, "attempt": attempt})
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("kafka at %v: %w", kc.Brokers, err)
		case <-time.After(min(time.Duration(attempt)*time.Second, 5*time.Second)):
		}
	}
}

// connectKafka creates missing topics: the event topics kept for ever, the
// dead-letter topic with dlqRetention as its retention.ms.
func connectKafka(ctx context.Context, kc kafka.Config, topics events.Topics, dlqRetention time.Duration) (transport, error) {
	kc.Retention = 0
	if err := kafka.EnsureTopics(ctx, kc, topics.Events()); err != nil {
		return nil, err
	}
	dlq := kc
	dlq.Partitions, dlq.Retention = 1, dlqRetention
	if err := kafka.EnsureTopics(ctx, dlq, []string{topics.DeadLetters}); err != nil {
		return nil, err
	}
	pub, err := kafka.NewPublisher(kc)
	if err != nil {
		return nil, err
	}
	return &kafkaTransport{cfg: kc, pub: pub}, nil
}

type embeddedTransport struct{ log *boltlog.Log }

func (t embeddedTransport) Publisher() message.Publisher { return t.log.Publisher() }
func (t embeddedTransport) Subscriber(group string) (message.Subscriber, error) {
	return t.log.Subscriber(group), nil
}
func (t embeddedTransport) ReadAll(ctx context.Context, topic string, fn func(*message.Message) error) error {
	return t.log.ReadAll(ctx, topic, fn)
}
func (t embeddedTransport) Count(_ context.Context, topic string) (int64, error) {
	return t.log.Count(topic)
}
func (t embeddedTransport) Lag(_ context.Context, group string, topics []string) (int64, error) {
	return t.log.Lag(group, topics)
}
func (t embeddedTransport) PartitionLag(_ context.Context, group string, topics []string) (map[string]map[int32]int64, error) {
	lags, err := t.log.PartitionLag(group, topics)
	out := make(map[string]map[int32]int64, len(lags))
	for topic, parts := range lags {
		out[topic] = make(map[int32]int64, len(parts))
		for p, n := range parts {
			out[topic][int32(p)] = n
		}
	}
	return out, err
}
func (t embeddedTransport) Ping(context.Context) error { return nil }
func (t embeddedTransport) Close() error               { return t.log.Close() }

type kafkaTransport struct {
	cfg kafka.Config
	pub message.Publisher
}

func (t *kafkaTransport) Publisher() message.Publisher { return t.pub }
func (t *kafkaTransport) Subscriber(group string) (message.Subscriber, error) {
	return kafka.NewSubscriber(t.cfg, group)
}
func (t *kafkaTransport) ReadAll(ctx context.Context, topic string, fn func(*message.Message) error) error {
	return kafka.ReadAll(ctx, t.cfg, topic, fn)
}
func (t *kafkaTransport) Count(ctx context.Context, topic string) (int64, error) {
	return kafka.Count(ctx, t.cfg, topic)
}
func (t *kafkaTransport) Lag(ctx context.Context, group string, topics []string) (int64, error) {
	return kafka.Lag(ctx, t.cfg, group, topics)
}
func (t *kafkaTransport) PartitionLag(ctx context.Context, group string, topics []string) (map[string]map[int32]int64, error) {
	return kafka.PartitionLag(ctx, t.cfg, group, topics)
}
func (t *kafkaTransport) Ping(ctx context.Context) error { return kafka.Ping(ctx, t.cfg) }
func (t *kafkaTransport) Close() error                   { return t.pub.Close() }
