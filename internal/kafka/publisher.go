package kafka

import (
	"fmt"

	wmkafka "github.com/ThreeDotsLabs/watermill-kafka/v3/pkg/kafka"
	"github.com/ThreeDotsLabs/watermill/message"
)

// NewPublisher returns a publisher to the cluster in cfg. It needs a reachable
// cluster to start.
//
// Publish is synchronous and safe for concurrent use: it returns once every
// message is on all in-sync replicas (acks=all), or an error within about
// cfg.PublishTimeout per message when the cluster cannot take it. The producer
// is idempotent, so its own retries never duplicate a message. Messages are
// keyed by their correlation_id metadata: one order's events share a
// partition and keep their order. Metadata travel as record headers.
func NewPublisher(cfg Config) (message.Publisher, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	sc, err := producerConfig(cfg)
	if err != nil {
		return nil, err
	}
	pub, err := wmkafka.NewPublisher(wmkafka.PublisherConfig{
		Brokers:               cfg.Brokers,
		Marshaler:             marshaler{},
		OverwriteSaramaConfig: sc,
	}, cfg.Logger)
	if err != nil {
		return nil, fmt.Errorf("kafka: new publisher: %w", err)
	}
	return pub, nil
}
