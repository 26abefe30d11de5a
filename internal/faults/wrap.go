package faults

import (
	"github.com/ThreeDotsLabs/watermill/message"
)

// Publisher passes publishes through the gate: every outcome is recorded,
// and while writes fail a publish waits (wait) or is refused at once with
// ErrFailing. Close closes the wrapped publisher.
func (g *Gate) Publisher(p message.Publisher, wait bool) message.Publisher {
	return &publisher{g: g, p: p, wait: wait}
}

type publisher struct {
	g    *Gate
	p    message.Publisher
	wait bool
}

func (p *publisher) Publish(topic string, msgs ...*message.Message) error {
	t, err := p.g.admit(p.wait)
	if err != nil {
		return err
	}
	err = p.p.Publish(topic, msgs...)
	t.Done(err)
	return err
}

func (p *publisher) Close() error { return p.p.Close() }

// Middleware gates message handlers whose work writes to a store (views,
// state): while writes fail, a handler runs only as the gate's probe, so a
// backlog of messages waits instead of failing, retrying and logging over
// and over. isFault tells a store failure from an error about the message
// itself (which says nothing about the store). A handler that returns
// messages is judged by their publish, not here.
func (g *Gate) Middleware(isFault func(error) bool) message.HandlerMiddleware {
	return func(h message.HandlerFunc) message.HandlerFunc {
		return func(msg *message.Message) ([]*message.Message, error) {
			t, err := g.Wait()
			if err != nil {
				return nil, err
			}
			defer t.Release() // a panic says nothing about the store
			out, err := h(msg)
			switch {
			case err != nil && isFault(err):
				t.Done(err)
			case err == nil && len(out) == 0:
				t.Done(nil)
			}
			return out, err
		}
	}
}
