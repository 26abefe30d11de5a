package projections

import "sync"

// Notifier wakes those waiting for an order's view to change. It holds only
// the current waiters, so its memory is bounded by open requests, not by the
// number of orders.
type Notifier struct {
	mu      sync.Mutex
	waiters map[string]map[chan struct{}]struct{}
}

// NewNotifier returns a notifier with no waiters.
func NewNotifier() *Notifier {
	return &Notifier{waiters: map[string]map[chan struct{}]struct{}{}}
}

// Watch implements query.Watcher.
func (n *Notifier) Watch(orderID string) (<-chan struct{}, func()) {
	ch := make(chan struct{})
	n.mu.Lock()
	if n.waiters[orderID] == nil {
		n.waiters[orderID] = map[chan struct{}]struct{}{}
	}
	n.waiters[orderID][ch] = struct{}{}
	n.mu.Unlock()
	return ch, func() {
		n.mu.Lock()
		defer n.mu.Unlock()
		if set, ok := n.waiters[orderID]; ok {
			if _, ok := set[ch]; ok {
				delete(set, ch)
				close(ch)
			}
			if len(set) == 0 {
				delete(n.waiters, orderID)
			}
		}
	}
}

// Changed wakes every waiter of orderID.
func (n *Notifier) Changed(orderID string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for ch := range n.waiters[orderID] {
		close(ch)
	}
	delete(n.waiters, orderID)
}
