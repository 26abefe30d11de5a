package kafka

import (
	"errors"
	"fmt"
	"time"

	"github.com/IBM/sarama"
	wmkafka "github.com/ThreeDotsLabs/watermill-kafka/v3/pkg/kafka"
	"github.com/ThreeDotsLabs/watermill/message"
)

// Redelivery and reconnection pacing. A nacked message comes back after
// nackResendSleep, so a handler failing for a while (its store is down) does
// not spin; a lost cluster is retried every reconnectSleep until it returns,
// and consumption then resumes from the committed offsets by itself.
const (
	nackResendSleep = 500 * time.Millisecond
	reconnectSleep  = 2 * time.Second
)

// NewSubscriber returns a subscriber consuming in the consumer group named
// group; every role uses its own group. A group seen for the first time starts
// at the oldest offset. Delivery is at least once (see the package doc).
//
// The subscriber also implements message.SubscribeInitializer: its
// SubscribeInitialize creates the topic like EnsureTopics does. An ack made
// just before the subscription ends or the subscriber closes is recorded
// (see settlingSubscriber).
func NewSubscriber(cfg Config, group string) (message.Subscriber, error) {
	wc, err := subscriberConfig(cfg, group)
	if err != nil {
		return nil, err
	}
	sub, err := wmkafka.NewSubscriber(wc, cfg.Logger)
	if err != nil {
		return nil, fmt.Errorf("kafka: new subscriber: %w", err)
	}
	return newSettlingSubscriber(sub), nil
}

// subscriberConfig is the watermill-kafka configuration NewSubscriber uses.
func subscriberConfig(cfg Config, group string) (wmkafka.SubscriberConfig, error) {
	cfg.setDefaults()
	err := cfg.Validate()
	if group == "" {
		err = errors.Join(err, errors.New("kafka: consumer group name is empty"))
	}
	if err != nil {
		return wmkafka.SubscriberConfig{}, err
	}
	sc, err := consumerConfig(cfg)
	if err != nil {
		return wmkafka.SubscriberConfig{}, err
	}
	return wmkafka.SubscriberConfig{
		Brokers:               cfg.Brokers,
		Unmarshaler:           marshaler{},
		OverwriteSaramaConfig: sc,
		ConsumerGroup:         group,
		NackResendSleep:       nackResendSleep,
		ReconnectRetrySleep:   reconnectSleep,
		InitializeTopicDetails: &sarama.TopicDetail{
			NumPartitions:     cfg.Partitions,
			ReplicationFactor: cfg.ReplicationFactor,
		},
	}, nil
}
