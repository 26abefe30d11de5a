package boltlog_test

import (
	"context"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/pizzeria/pizzeria/internal/testkit"
)

// TestReadAllLetsGoOfMappedPages reads a topic of several megabytes whole
// and checks that the pages it mapped no longer count in the process's
// resident memory afterwards.
func TestReadAllLetsGoOfMappedPages(t *testing.T) {
	cfg := testConfig(t)
	cfg.Partitions = 1
	l := mustOpen(t, cfg)
	pub := l.Publisher()
	rng := rand.New(rand.NewPCG(3, 4))
	payload := make([]byte, 64<<10) // random, so 8 MB stay 8 MB on disk
	for i := range 128 {
		for j := range payload {
			payload[j] = byte(rng.Uint32())
		}
		if err := pub.Publish("t", message.NewMessage(strconv.Itoa(i), payload)); err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	if err := l.ReadAll(context.Background(), "t", func(msg *message.Message) error {
		n += len(msg.Payload)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if n != 128*len(payload) {
		t.Fatalf("read %d bytes, want %d", n, 128*len(payload))
	}
	if kb := testkit.MappedRSS(t, cfg.Path); kb > 1024 {
		t.Fatalf("%d kB of the log stay resident after ReadAll", kb)
	}
}
