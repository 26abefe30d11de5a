package kafka

import (
	"context"
	"errors"
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
	client, release, err := connect(ctx, cfg)
	if err != nil {
		return 0, err
	}
	defer release()
	all := make(map[string][]span, len(topics))
	asked := make(map[string][]int32, len(topics))
	for _, topic := range topics {
		ss, err := spans(ctx, client, topic)
		if err != nil {
			return 0, err
		}
		all[topic] = ss
		for _, s := range ss {
			asked[topic] = append(asked[topic], s.partition)
		}
	}
	admin, err := sarama.NewClusterAdminFromClient(client)
	if err != nil {
		return 0, fmt.Errorf("kafka: cluster admin: %w", err)
	}
	committed, err := admin.ListConsumerGroupOffsets(group, asked)
	if errors.Is(err, sarama.ErrGroupIDNotFound) {
		// Some brokers answer so for a group that never committed.
		committed, err = &sarama.OffsetFetchResponse{}, nil
	}
	if err != nil {
		return 0, fmt.Errorf("kafka: committed offsets of group %s: %w", group, ctxErr(ctx, err))
	}
	var lag int64
	for topic, ss := range all {
		for _, s := range ss {
			from := s.oldest
			if b := committed.GetBlock(topic, s.partition); b != nil && b.Offset >= 0 {
				from = max(b.Offset, s.oldest)
			}
			lag += max(s.next-from, 0)
		}
	}
	return lag, nil
}
