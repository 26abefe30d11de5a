package kafka

import (
	"context"
	"fmt"

	"github.com/IBM/sarama"
)

// span is the range of offsets a partition currently holds: [oldest, next).
type span struct {
	partition int32
	oldest    int64 // first offset still in the log
	next      int64 // high-water mark: the offset the next record will get
}

// spans reads the current offset range of every partition of topic.
func spans(ctx context.Context, client sarama.Client, topic string) ([]span, error) {
	parts, err := client.Partitions(topic)
	if err != nil {
		return nil, fmt.Errorf("kafka: partitions of %s: %w", topic, ctxErr(ctx, err))
	}
	out := make([]span, 0, len(parts))
	for _, p := range parts {
		oldest, err := client.GetOffset(topic, p, sarama.OffsetOldest)
		if err != nil {
			return nil, fmt.Errorf("kafka: oldest offset of %s/%d: %w", topic, p, ctxErr(ctx, err))
		}
		next, err := client.GetOffset(topic, p, sarama.OffsetNewest)
		if err != nil {
			return nil, fmt.Errorf("kafka: newest offset of %s/%d: %w", topic, p, ctxErr(ctx, err))
		}
		out = append(out, span{partition: p, oldest: oldest, next: next})
	}
	return out, nil
}

// Count returns how many records topic holds now: the sum over its partitions
// of high-water mark minus oldest offset. On a compacted topic it is an upper
// bound.
func Count(ctx context.Context, cfg Config, topic string) (int64, error) {
	client, release, err := connect(ctx, cfg)
	if err != nil {
		return 0, err
	}
	defer release()
	ss, err := spans(ctx, client, topic)
	if err != nil {
		return 0, err
	}
	var n int64
	for _, s := range ss {
		n += s.next - s.oldest
	}
	return n, nil
}

// Lag returns how many records of topics group has yet to consume: the sum
// over all their partitions of high-water mark minus committed offset. A
// partition without a committed offset counts from its oldest record, because
// that is where a new group starts.
func Lag(ctx context.Context, cfg Config, group string, topics []string) (int64, error) {
	per, err := PartitionLag(ctx, cfg, group, topics)
	if err != nil {
		return 0, err
	}
	var lag int64
	for _, parts := range per {
		for _, n := range parts {
			lag += n
		}
	}
	return lag, nil
}
