package kafka

import (
	"context"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Group callbacks. franz-go calls them on its own goroutines, never two at
// once: assigned before fetching the new partitions begins, revoked before
// the group moves partitions away, lost when the membership ended without a
// revoke (a session timed out, the cluster went away).

func (s *subscription) assigned(ctx context.Context, cl *kgo.Client, assigned map[string][]int32) {
	s.mu.Lock()
	var items []commitItem
	for _, id := range assigned[s.topic] {
		if old := s.parts[id]; old != nil {
			old.revoked = true
		}
		p := newPartition(id, s.window)
		s.parts[id] = p
		if at, ok := s.orphans[id]; ok {
			items = append(items, commitItem{p, at})
		}
	}
	clear(s.orphans)
	s.mu.Unlock()
	s.commit(ctx, items)
	// A partition paused under an earlier assignment fetches again.
	cl.ResumeFetchPartitions(assigned)
}

// revoked stops handing out the revoked partitions and commits their acked
// prefixes before the group moves them.
func (s *subscription) revoked(_ context.Context, _ *kgo.Client, revoked map[string][]int32) {
	items := s.drop(revoked[s.topic])
	ctx, cancel := context.WithTimeout(context.Background(), commitTimeout)
	defer cancel()
	s.commit(ctx, items)
}

// lost stops handing out partitions this member no longer owns; their
// acked prefixes can no longer be committed now and become orphans.
func (s *subscription) lost(_ context.Context, _ *kgo.Client, lost map[string][]int32) {
	items := s.drop(lost[s.topic])
	s.mu.Lock()
	for _, it := range items {
		s.orphans[it.p.id] = it.at
	}
	s.mu.Unlock()
}

// drop forgets partitions and returns their uncommitted acked prefixes.
func (s *subscription) drop(ids []int32) []commitItem {
	s.mu.Lock()
	defer s.mu.Unlock()
	var parts []*partition
	for _, id := range ids {
		if p := s.parts[id]; p != nil {
			parts = append(parts, p)
			delete(s.parts, id)
		}
	}
	s.sweepLocked(parts)
	items := s.toCommitLocked(parts)
	for _, p := range parts {
		p.revoked = true
		p.recs, p.released = nil, 0
	}
	return items
}
