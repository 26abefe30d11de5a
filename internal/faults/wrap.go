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
