package boltlog

import "testing"

// TestPartitionHashIsPinned pins the placement function: it decides where
// stored messages live, so it must never change.
func TestPartitionHashIsPinned(t *testing.T) {
	tests := []struct {
		corr string
		hash uint32
		of8  int
	}{
		{"", 0, 0},
		{"order-1", 0x2b7fcd6d, 5},
		{"4f9c8a1e-2b7d-4c1a-9e3f-5a6b7c8d9e0f", 0x49fcb74d, 5},
	}
	for _, tt := range tests {
		h := partitionHash(tt.corr)
		if h != tt.hash || partitionOf(h, 8) != tt.of8 || partitionOf(h, 1) != 0 {
			t.Errorf("%q: hash %#x, partition %d of 8; want %#x, %d", tt.corr, h, partitionOf(h, 8), tt.hash, tt.of8)
		}
	}
}
