package kafka

import (
	"context"
	"fmt"

	"github.com/IBM/sarama"
)

// Identity names the log a store is built from on Kafka: the cluster's id
// (given to a cluster when it is formatted, and never changed) and, for each
// of topics, the end offset of every partition. A store records both: views
// or a ledger of another cluster have another id, and a topic deleted and
// created again under the same name starts over, below the recorded ends.
func Identity(ctx context.Context, cfg Config, topics []string) (string, map[string][]uint64, error) {
	client, release, err := connect(ctx, cfg)
	if err != nil {
		return "", nil, err
	}
	defer release()
	broker, err := client.Controller()
	if err != nil {
		return "", nil, fmt.Errorf("kafka: cluster id: %w", ctxErr(ctx, err))
	}
	md, err := broker.GetMetadata(sarama.NewMetadataRequest(client.Config().Version, topics))
	if err != nil {
		return "", nil, fmt.Errorf("kafka: cluster id: %w", ctxErr(ctx, err))
	}
	if md.ClusterID == nil || *md.ClusterID == "" {
		return "", nil, fmt.Errorf("kafka: the cluster at %s reports no cluster id", cfg)
	}
	ends := make(map[string][]uint64, len(topics))
	for _, topic := range topics {
		ss, err := spans(ctx, client, topic)
		if err != nil {
			return "", nil, err
		}
		e := make([]uint64, len(ss))
		for _, s := range ss {
			if int(s.partition) < len(e) && s.next > 0 {
				e[s.partition] = uint64(s.next)
			}
		}
		ends[topic] = e
	}
	return *md.ClusterID, ends, nil
}
