package boltlog

import (
	"hash/fnv"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/pizzeria/pizzeria/events"
)

// partitionHash is the stable hash that places msg in a partition: 32-bit
// FNV-1a of its correlation_id metadata, or 0 (partition 0) for a message
// without one. The function is part of the stored layout's meaning:
// changing it would split one correlation's messages across partitions of
// an existing file.
func partitionHash(msg *message.Message) uint32 {
	id := msg.Metadata.Get(events.MetaCorrelationID)
	if id == "" {
		return 0
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(id))
	return h.Sum32()
}

// partitionOf maps a partition hash to one of n partitions.
func partitionOf(hash uint32, n int) int {
	return int(hash % uint32(n))
}
