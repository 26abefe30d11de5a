package kafka

import (
	"context"
	"errors"
	"fmt"

	"github.com/IBM/sarama"
)

// PartitionLag is, per topic and partition, how many messages group has
// yet to process: high-water mark minus committed offset. A partition
// without a committed offset counts from its oldest record, because that is
// where a new group starts.
func PartitionLag(ctx context.Context, cfg Config, group string, topics []string) (map[string]map[int32]int64, error) {
	client, release, err := connect(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer release()
	all := make(map[string][]span, len(topics))
	asked := make(map[string][]int32, len(topics))
	for _, topic := range topics {
		ss, err := spans(ctx, client, topic)
		if err != nil {
			return nil, err
		}
		all[topic] = ss
		for _, s := range ss {
			asked[topic] = append(asked[topic], s.partition)
		}
	}
	admin, err := sarama.NewClusterAdminFromClient(client)
	if err != nil {
		return nil, fmt.Errorf("kafka: cluster admin: %w", err)
	}
	committed, err := admin.ListConsumerGroupOffsets(group, asked)
	if errors.Is(err, sarama.ErrGroupIDNotFound) {
		// Some brokers answer so for a group that never committed.
		committed, err = &sarama.OffsetFetchResponse{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("kafka: committed offsets of group %s: %w", group, ctxErr(ctx, err))
	}
	out := make(map[string]map[int32]int64, len(all))
	for topic, ss := range all {
		out[topic] = make(map[int32]int64, len(ss))
		for _, s := range ss {
			from := s.oldest
			if b := committed.GetBlock(topic, s.partition); b != nil && b.Offset >= 0 {
				from = max(b.Offset, s.oldest)
			}
			out[topic][s.partition] = max(s.next-from, 0)
		}
	}
	return out, nil
}
