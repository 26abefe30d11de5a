package kafka

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/IBM/sarama"
)

// connect opens a sarama client, giving up when ctx ends. The client is closed
// when ctx ends too, which makes calls still waiting on it fail fast; release
// it with the returned function.
func connect(ctx context.Context, cfg Config, tweaks ...func(*sarama.Config)) (sarama.Client, func(), error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, nil, err
	}
	sc, err := clientConfig(cfg)
	if err != nil {
		return nil, nil, err
	}
	for _, tweak := range tweaks {
		tweak(sc)
	}
	type result struct {
		client sarama.Client
		err    error
	}
	ready := make(chan result, 1)
	go func() {
		c, err := sarama.NewClient(cfg.Brokers, sc)
		ready <- result{c, err}
	}()
	select {
	case <-ctx.Done():
		go func() { // reap the client once it connects
			if r := <-ready; r.err == nil {
				_ = r.client.Close()
			}
		}()
		return nil, nil, fmt.Errorf("kafka: connect to %s: %w", cfg, ctx.Err())
	case r := <-ready:
		if r.err != nil {
			return nil, nil, fmt.Errorf("kafka: connect to %s: %w", cfg, r.err)
		}
		closeOnCancel := context.AfterFunc(ctx, func() { _ = r.client.Close() })
		release := func() {
			if closeOnCancel() {
				_ = r.client.Close()
			}
		}
		return r.client, release, nil
	}
}

// Ping reports whether the cluster answers a metadata request.
func Ping(ctx context.Context, cfg Config) error {
	client, release, err := connect(ctx, cfg)
	if err != nil {
		return err
	}
	defer release()
	if _, err := client.Controller(); err != nil {
		return fmt.Errorf("kafka: ping: %w", ctxErr(ctx, err))
	}
	return nil
}

// EnsureTopics creates those of topics that do not exist yet, with
// cfg.Partitions partitions, cfg.ReplicationFactor replicas and
// cfg.Retention as retention.ms. Existing topics are left as they are (their
// retention included: change it with kafka-configs.sh), so calling it again,
// or from several processes at once, is harmless.
func EnsureTopics(ctx context.Context, cfg Config, topics []string) error {
	client, release, err := connect(ctx, cfg)
	if err != nil {
		return err
	}
	defer release()
	admin, err := sarama.NewClusterAdminFromClient(client)
	if err != nil {
		return fmt.Errorf("kafka: cluster admin: %w", err)
	}
	existing, err := admin.ListTopics()
	if err != nil {
		return fmt.Errorf("kafka: list topics: %w", ctxErr(ctx, err))
	}
	cfg.setDefaults()
	retention := retentionMs(cfg.Retention)
	detail := &sarama.TopicDetail{NumPartitions: cfg.Partitions, ReplicationFactor: cfg.ReplicationFactor,
		ConfigEntries: map[string]*string{"retention.ms": &retention}}
	for _, topic := range topics {
		if _, ok := existing[topic]; ok {
			continue
		}
		err := admin.CreateTopic(topic, detail, false)
		if err != nil && !errors.Is(err, sarama.ErrTopicAlreadyExists) {
			return fmt.Errorf("kafka: create topic %s: %w", topic, ctxErr(ctx, err))
		}
	}
	return waitForLeaders(ctx, client, topics)
}

// retentionMs is the retention.ms value for a retention: -1 (for ever) for
// none.
func retentionMs(d time.Duration) string {
	if d <= 0 {
		return "-1"
	}
	return strconv.FormatInt(d.Milliseconds(), 10)
}

// waitForLeaders polls metadata until every partition of topics has a leader,
// so that callers can produce to new topics at once; brokers create topics
// asynchronously.
func waitForLeaders(ctx context.Context, client sarama.Client, topics []string) error {
	deadline := time.Now().Add(client.Config().Admin.Timeout)
	for {
		err := client.RefreshMetadata(topics...)
		if err == nil {
			err = checkLeaders(client, topics)
		}
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("kafka: topics not ready: %w", ctxErr(ctx, err))
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("kafka: topics not ready: %w", ctxErr(ctx, err))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func checkLeaders(client sarama.Client, topics []string) error {
	for _, topic := range topics {
		parts, err := client.Partitions(topic)
		if err != nil {
			return fmt.Errorf("topic %s: %w", topic, err)
		}
		for _, p := range parts {
			if _, err := client.Leader(topic, p); err != nil {
				return fmt.Errorf("topic %s partition %d: %w", topic, p, err)
			}
		}
	}
	return nil
}

// ctxErr prefers the context's error when the context ended, since a call
// interrupted by closing the client reports only that the client is closed.
func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return errors.Join(ctx.Err(), err)
	}
	return err
}
