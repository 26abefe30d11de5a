package boltlog_test

import (
	"bufio"
	"context"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/ThreeDotsLabs/watermill/message"
)

// mappedRSS is the resident size in kB of this process's mappings of path,
// from /proc/self/smaps.
func mappedRSS(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	total, inFile := 0, false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		fields := strings.Fields(line)
		if len(fields) >= 5 && strings.Contains(fields[0], "-") && !strings.HasSuffix(fields[0], ":") {
			inFile = strings.HasSuffix(line, " "+path)
			continue
		}
		if inFile && len(fields) == 3 && fields[0] == "Rss:" {
			kb, err := strconv.Atoi(fields[1])
			if err != nil {
				t.Fatal(err)
			}
			total += kb
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return total
}

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
	if kb := mappedRSS(t, cfg.Path); kb > 1024 {
		t.Fatalf("%d kB of the log stay resident after ReadAll", kb)
	}
}
