package boltlog

import "sync"

// hub publishes each topic's end offset to waiting subscribers. The writer
// advances it after every commit; subscribers ask it whether their next
// offset exists and, if not, get a channel that is closed on the next append.
//
// The end offset the hub reports never runs ahead of what is committed in
// bbolt: only the writer raises it, after the commit, and a value learned
// from a read transaction is used only while the writer has said nothing.
type hub struct {
	mu     sync.Mutex
	topics map[string]*topicState
}

type topicState struct {
	end   uint64
	known bool
	wake  chan struct{} // nil until somebody waits
}

func newHub() *hub {
	return &hub{topics: make(map[string]*topicState)}
}

func (h *hub) state(topic string) *topicState {
	ts, ok := h.topics[topic]
	if !ok {
		ts = &topicState{}
		h.topics[topic] = ts
	}
	return ts
}

// advance records a committed end offset and wakes every waiter on topic.
func (h *hub) advance(topic string, end uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	ts := h.state(topic)
	ts.end, ts.known = end, true
	if ts.wake != nil {
		close(ts.wake)
		ts.wake = nil
	}
}

// learn seeds the end offset of a topic read from bbolt, unless the writer
// has already reported a (newer) one.
func (h *hub) learn(topic string, end uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if ts := h.state(topic); !ts.known {
		ts.end, ts.known = end, true
	}
}

// end returns the known end offset of topic.
func (h *hub) end(topic string) (end uint64, known bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	ts := h.state(topic)
	return ts.end, ts.known
}

// await reports whether offset next of topic is committed. If it is not,
// wake is closed as soon as anything more is appended to topic. known is
// false when the hub has not learned the topic's end yet.
func (h *hub) await(topic string, next uint64) (ready bool, wake <-chan struct{}, known bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	ts := h.state(topic)
	if !ts.known {
		return false, nil, false
	}
	if next < ts.end {
		return true, nil, true
	}
	if ts.wake == nil {
		ts.wake = make(chan struct{})
	}
	return false, ts.wake, true
}
