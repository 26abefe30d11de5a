package boltlog

import "sync"

// topicPartition names one partition of a topic.
type topicPartition struct {
	topic     string
	partition int
}

// hub publishes each partition's end offset to waiting subscribers. The
// writer advances it after every commit; subscribers ask it whether their
// next offset exists and, if not, get a channel that is closed on the next
// append to that partition.
//
// The end offset the hub reports never runs ahead of what is committed in
// bbolt: only the writer raises it, after the commit, and a value learned
// from a read transaction is used only while the writer has said nothing.
type hub struct {
	mu    sync.Mutex
	parts map[topicPartition]*partitionState
}

type partitionState struct {
	end   uint64
	known bool
	wake  chan struct{} // nil until somebody waits
}

func newHub() *hub {
	return &hub{parts: make(map[topicPartition]*partitionState)}
}

func (h *hub) state(tp topicPartition) *partitionState {
	ps, ok := h.parts[tp]
	if !ok {
		ps = &partitionState{}
		h.parts[tp] = ps
	}
	return ps
}

// advance records a committed end offset and wakes every waiter on tp.
func (h *hub) advance(tp topicPartition, end uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	ps := h.state(tp)
	ps.end, ps.known = end, true
	if ps.wake != nil {
		close(ps.wake)
		ps.wake = nil
	}
}

// learn seeds the end offset of a partition read from bbolt, unless the
// writer has already reported a (newer) one.
func (h *hub) learn(tp topicPartition, end uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if ps := h.state(tp); !ps.known {
		ps.end, ps.known = end, true
	}
}

// await reports whether offset next of tp is committed. If it is not, wake
// is closed as soon as anything more is appended to tp. known is false when
// the hub has not learned the partition's end yet.
func (h *hub) await(tp topicPartition, next uint64) (ready bool, wake <-chan struct{}, known bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	ps := h.state(tp)
	if !ps.known {
		return false, nil, false
	}
	if next < ps.end {
		return true, nil, true
	}
	if ps.wake == nil {
		ps.wake = make(chan struct{})
	}
	return false, ps.wake, true
}
