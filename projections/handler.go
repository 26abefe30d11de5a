package projections

import (
	"strconv"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/pizzeria/pizzeria/events"
	"github.com/pizzeria/pizzeria/internal/boltstore"
)

// Projector feeds messages from the log into a Store.
type Projector struct {
	store *Store
	codec *events.Codec
}

// NewProjector returns a projector into store.
func NewProjector(store *Store, codec *events.Codec) *Projector {
	return &Projector{store: store, codec: codec}
}

// HandleBatch returns the batch handler for messages from topic. Each
// batch is folded in one transaction (shared with other callers) that
// also records each message's position (topic, partition, offset), and
// acked only after it commits, so a crash redelivers it and the position
// makes the second application a no-op. An undecodable message, or an
// event the views refuse, fails alone with an error wrapping
// events.ErrInvalidEvent.
func (p *Projector) HandleBatch(topic string) func([]*message.Message) ([][]*message.Message, []error) {
	return func(msgs []*message.Message) ([][]*message.Message, []error) {
		errs := make([]error, len(msgs))
		items := make([]item, 0, len(msgs))
		from := make([]int, 0, len(msgs)) // items[j] came from msgs[from[j]]
		for i, msg := range msgs {
			e, err := p.codec.Decode(topic, msg)
			if err != nil {
				errs[i] = err
				continue
			}
			it := item{event: e}
			if pos, ok := positionOf(topic, msg); ok {
				it.pos = &pos
			}
			items = append(items, it)
			from = append(from, i)
		}
		if len(items) > 0 {
			rejected, err := p.store.applyEach(items)
			for j, i := range from {
				if err != nil {
					errs[i] = err
				} else {
					errs[i] = rejected[j]
				}
			}
		}
		return make([][]*message.Message, len(msgs)), errs
	}
}

// positionOf reads where a transport says msg was read from.
func positionOf(topic string, msg *message.Message) (boltstore.Position, bool) {
	part, err1 := strconv.ParseInt(msg.Metadata.Get(events.MetaReceivedPartition), 10, 32)
	off, err2 := strconv.ParseInt(msg.Metadata.Get(events.MetaReceivedOffset), 10, 64)
	if err1 != nil || err2 != nil || part < 0 || off < 0 {
		return boltstore.Position{}, false
	}
	return boltstore.Position{Topic: topic, Partition: int32(part), Offset: off}, true
}
