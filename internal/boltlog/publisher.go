package boltlog

import (
	"sync/atomic"

	"github.com/ThreeDotsLabs/watermill/message"
)

// publisher appends to a Log. Publish is safe for concurrent use; concurrent
// calls share bbolt transactions.
type publisher struct {
	log    *Log
	closed atomic.Bool
}

// Publish appends msgs to topic and returns once they are committed to disk.
// Either all of msgs are stored or none. Each message goes to the partition
// its Config.PartitionKey hashes to (partition 0 without one); the
// messages of one call that share a partition get consecutive offsets in it,
// in call order. The metadata keys received_partition and received_offset
// are not stored: they describe a delivery, not the message.
func (p *publisher) Publish(topic string, msgs ...*message.Message) error {
	if p.closed.Load() {
		return ErrClosed
	}
	if !validName(topic) {
		return ErrInvalidTopic
	}
	if len(msgs) == 0 {
		return nil
	}
	records := make([][]byte, len(msgs))
	hashes := make([]uint32, len(msgs))
	size := 0
	for i, msg := range msgs {
		records[i] = encodeRecord(nil, msg)
		if key := p.log.cfg.PartitionKey; key != nil {
			hashes[i] = partitionHash(key(msg))
		}
		size += len(records[i])
	}
	return p.log.append(topic, records, hashes, size)
}

// Close makes further Publish calls fail; it does not close the Log.
func (p *publisher) Close() error {
	p.closed.Store(true)
	return nil
}
