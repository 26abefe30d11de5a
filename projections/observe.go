package projections

import (
	"sync"

	"github.com/pizzeria/pizzeria/events"
)

// observers are called after every committed apply with the events it
// applied, in the applying goroutine: they must be quick and must not block
// (hand work to a buffered channel and drop what does not fit).
type observers struct {
	mu   sync.RWMutex
	next int
	fns  map[int]func([]events.Event)
}

// Observe registers fn to be called after each committed Apply with the
// events it was given (redelivered events included: the views ignore them,
// an observer may see them again). cancel unregisters fn.
func (s *Store) Observe(fn func([]events.Event)) (cancel func()) {
	o := &s.observers
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.fns == nil {
		o.fns = map[int]func([]events.Event){}
	}
	id := o.next
	o.next++
	o.fns[id] = fn
	return func() {
		o.mu.Lock()
		defer o.mu.Unlock()
		delete(o.fns, id)
	}
}

func (o *observers) notify(evs []events.Event) {
	o.mu.RLock()
	defer o.mu.RUnlock()
	for _, fn := range o.fns {
		fn(evs)
	}
}
