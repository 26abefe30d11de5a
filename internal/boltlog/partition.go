package boltlog

import (
	"hash/fnv"
)

// partitionHash is the stable hash that places a message with partition key
// key: 32-bit FNV-1a of the key, or 0 (partition 0) for an empty key. The
// function is part of the stored layout's meaning: changing it would split
// one key's messages across partitions of an existing file.
func partitionHash(key string) uint32 {
	if key == "" {
		return 0
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(key))
	return h.Sum32()
}

// partitionOf maps a partition hash to one of n partitions.
func partitionOf(hash uint32, n int) int {
	return int(hash % uint32(n))
}
