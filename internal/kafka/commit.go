package kafka

import (
	"context"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Commits: every Config.CommitInterval, one request carries the acked
// prefixes of all partitions that advanced; revokes and stops commit too.

func (s *subscription) commitLoop() {
	t := time.NewTicker(s.every)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
			s.mu.Lock()
			items := s.toCommitLocked(s.owned())
			s.mu.Unlock()
			s.commit(s.ctx, items)
		}
	}
}

func (s *subscription) owned() []*partition {
	parts := make([]*partition, 0, len(s.parts))
	for _, p := range s.parts {
		parts = append(parts, p)
	}
	return parts
}

type commitItem struct {
	p  *partition
	at kgo.EpochOffset
}

func (s *subscription) toCommitLocked(parts []*partition) []commitItem {
	var items []commitItem
	for _, p := range parts {
		if at, ok := p.toCommit(); ok {
			items = append(items, commitItem{p, at})
		}
	}
	return items
}

// commit commits the given acked prefixes in one request. A failed commit
// is logged and retried with the next one.
func (s *subscription) commit(ctx context.Context, items []commitItem) {
	if len(items) == 0 {
		return
	}
	offsets := make(map[int32]kgo.EpochOffset, len(items))
	for _, it := range items {
		offsets[it.p.id] = it.at
	}
	s.cl.CommitOffsetsSync(ctx, map[string]map[int32]kgo.EpochOffset{s.topic: offsets},
		func(_ *kgo.Client, _ *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse, err error) {
			if err != nil {
				if ctx.Err() == nil {
					s.logger.Info("Kafka offset commit failed, retrying", s.fields.Add(watermill.LogFields{"err": err}))
				}
				return
			}
			failed := map[int32]error{}
			for _, t := range resp.Topics {
				for _, p := range t.Partitions {
					if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
						failed[p.Partition] = err
					}
				}
			}
			s.mu.Lock()
			defer s.mu.Unlock()
			for _, it := range items {
				if err := failed[it.p.id]; err != nil {
					s.logger.Info("Kafka offset commit failed, retrying", s.fields.Add(watermill.LogFields{"partition": it.p.id, "err": err}))
					continue
				}
				it.p.committed = max(it.p.committed, it.at.Offset)
			}
		})
}
