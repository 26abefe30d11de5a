package boltlog

import (
	"path/filepath"
	"testing"

	"github.com/ThreeDotsLabs/watermill/message"
)

// PartitionLag splits Lag by topic and partition.
func TestPartitionLagSumsToLag(t *testing.T) {
	log, err := Open(Config{Path: filepath.Join(t.TempDir(), "log.db"), PartitionsFor: func(string) int { return 4 }})
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	for _, key := range []string{"a", "b", "c", "d", "e", "a", "a"} {
		m := message.NewMessage(key+"-"+message.NewMessage("", nil).UUID, []byte("{}"))
		m.Metadata.Set("partition_key", key)
		if err := log.Publisher().Publish("pizza", m); err != nil {
			t.Fatal(err)
		}
	}
	parts, err := log.PartitionLag("g", []string{"pizza"})
	if err != nil {
		t.Fatal(err)
	}
	total, err := log.Lag("g", []string{"pizza"})
	if err != nil {
		t.Fatal(err)
	}
	var sum int64
	for _, n := range parts["pizza"] {
		sum += n
	}
	if len(parts["pizza"]) != 4 || sum != total || total != 7 {
		t.Fatalf("partition lags %v sum to %d, Lag %d; want 4 partitions summing to 7", parts, sum, total)
	}
}
