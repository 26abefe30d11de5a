package projections

import "sync"

// Notifier wakes those waiting on orders: on any change of an order's view
// (Watch), or only when it completes (WatchCompletion). It holds only the
// current waiters, so its memory is bounded by open requests, not by the
// number of orders; a batch that changes no watched order costs one lock.
type Notifier struct {
	mu       sync.Mutex
	onChange map[string]map[chan struct{}]struct{}
	onDone   map[string]map[chan struct{}]struct{}
}

// NewNotifier returns a notifier with no waiters.
func NewNotifier() *Notifier {
	return &Notifier{
		onChange: map[string]map[chan struct{}]struct{}{},
		onDone:   map[string]map[chan struct{}]struct{}{},
	}
}

// Watch returns a channel closed at the next change to the order's view and
// a function to stop watching.
func (n *Notifier) Watch(orderID string) (<-chan struct{}, func()) {
	return n.watch(n.onChange, orderID)
}

// WatchCompletion implements query.Watcher: the channel is closed once the
// order is completed, and not before.
func (n *Notifier) WatchCompletion(orderID string) (<-chan struct{}, func()) {
	return n.watch(n.onDone, orderID)
}

func (n *Notifier) watch(set map[string]map[chan struct{}]struct{}, orderID string) (<-chan struct{}, func()) {
	ch := make(chan struct{})
	n.mu.Lock()
	if set[orderID] == nil {
		set[orderID] = map[chan struct{}]struct{}{}
	}
	set[orderID][ch] = struct{}{}
	n.mu.Unlock()
	return ch, func() {
		n.mu.Lock()
		defer n.mu.Unlock()
		if chans, ok := set[orderID]; ok {
			if _, ok := chans[ch]; ok {
				delete(chans, ch)
				close(ch)
			}
			if len(chans) == 0 {
				delete(set, orderID)
			}
		}
	}
}

// changed wakes the watchers of the orders a commit changed and completed.
func (n *Notifier) changed(changed, completed []string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	wake(n.onChange, changed)
	wake(n.onDone, completed)
}

func wake(set map[string]map[chan struct{}]struct{}, ids []string) {
	if len(set) == 0 {
		return
	}
	for _, id := range ids {
		for ch := range set[id] {
			close(ch)
		}
		delete(set, id)
	}
}
