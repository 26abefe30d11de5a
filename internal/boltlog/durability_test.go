package boltlog_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pizzeria/pizzeria/internal/boltlog"
	bolt "go.etcd.io/bbolt"
)

// closeWithin fails t if Close hangs, e.g. on a message still in flight.
func closeWithin(t *testing.T, l *boltlog.Log, d time.Duration) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- l.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("close: %v", err)
		}
	case <-time.After(d):
		t.Fatal("Close hung")
	}
}

func TestReopenKeepsMessagesOffsetsAndRedeliversUnacked(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	l, err := boltlog.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	published := mustPublish(t, l.Publisher(), "orders", "m0", "m1", "m2", "m3", "m4")
	published[0].Metadata.Set("event_type", "OrderPlaced") // not stored: set after publish

	ch := subscribe(t, l.Subscriber("projections"), "orders")
	for range 2 {
		receive(t, ch, 5*time.Second).Ack()
	}
	inFlight := receive(t, ch, 5*time.Second) // m2, never acked
	if string(inFlight.Payload) != "m2" {
		t.Fatalf("in flight = %q, want m2", inFlight.Payload)
	}
	closeWithin(t, l, 5*time.Second)
	if _, ok := <-ch; ok {
		t.Fatal("channel still open after Log.Close")
	}
	inFlight.Ack() // too late: the subscription has ended, so it must not count

	l = mustOpen(t, cfg)
	if n, err := l.Count("orders"); err != nil || n != 5 {
		t.Fatalf("Count = %d, %v; want 5", n, err)
	}
	if next, err := l.Committed("projections", "orders"); err != nil || next[0] != 2 {
		t.Fatalf("Committed = %v, %v; want 2 on partition 0", next, err)
	}
	ch = subscribe(t, l.Subscriber("projections"), "orders")
	for i := 2; i < 5; i++ {
		msg := receive(t, ch, 5*time.Second)
		want := published[i]
		if msg.UUID != want.UUID || !bytes.Equal(msg.Payload, want.Payload) {
			t.Fatalf("after reopen got %s %q, want %s %q", msg.UUID, msg.Payload, want.UUID, want.Payload)
		}
		if got := msg.Metadata.Get(boltlog.MetaReceivedOffset); got != strconv.Itoa(i) {
			t.Fatalf("received_offset = %q, want %d", got, i)
		}
		msg.Ack()
	}
}

func TestAcksAreFlushedByClose(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	// Nothing is published meanwhile, so every acked position is still
	// pending in the writer when Close runs.
	cfg.OffsetCommitInterval = time.Hour
	l, err := boltlog.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	const n = 300
	payloads := make([]string, n)
	for i := range payloads {
		payloads[i] = string(rune('a' + i%26))
	}
	mustPublish(t, l.Publisher(), "pizza", payloads...)
	ch := subscribe(t, l.Subscriber("stage"), "pizza")
	for range n {
		receive(t, ch, 5*time.Second).Ack()
	}
	if written := l.Stats().OffsetCommits; written != 0 {
		t.Fatalf("%d offsets written before Close, want them all pending", written)
	}
	closeWithin(t, l, 5*time.Second)

	l = mustOpen(t, cfg)
	if next, err := l.Committed("stage", "pizza"); err != nil || next[0] != n {
		t.Fatalf("Committed = %v, %v; want %d on partition 0", next, err, n)
	}
	if lag, err := l.Lag("stage", []string{"pizza"}); err != nil || lag != 0 {
		t.Fatalf("Lag = %d, %v; want 0", lag, err)
	}
}

// TestStoredLayoutV3 pins the bytes on disk, so that a file written today
// stays readable by every later version.
func TestStoredLayoutV3(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.Partitions = 3
	l, err := boltlog.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	mustPublish(t, l.Publisher(), "pizza", "skip", "hi") // no correlation_id: partition 0
	ch := subscribe(t, l.Subscriber("g"), "pizza")
	receive(t, ch, 5*time.Second).Ack()
	receive(t, ch, 5*time.Second) // offset 1 stays un-acked
	closeWithin(t, l, 5*time.Second)

	db, err := bolt.Open(cfg.Path, 0o600, &bolt.Options{Timeout: time.Second, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// A loose record: a batch of one, uncompressed.
	wantRecord := []byte{
		0xb1,                   // batch version
		0x4b, 0x00, 0x32, 0x3e, // CRC-32C of the key and what follows
		0x00,       // codec: none
		0x01, 0x0b, // one record, 11 bytes of body
		0x0a,                                      // record length
		0x00, 0x05, 'h', 'i', '-', 'i', 'd', 0x00, // uuid, no metadata
		'h', 'i', // payload
	}
	p0 := []byte{0, 0, 0, 0}
	err = db.View(func(tx *bolt.Tx) error {
		if got := tx.Bucket([]byte("meta")).Get([]byte("format")); !bytes.Equal(got, []byte{3}) {
			t.Errorf("meta/format = % x, want 03", got)
		}
		topic := tx.Bucket([]byte("topics")).Bucket([]byte("pizza"))
		if got := topic.Get([]byte("partitions")); !bytes.Equal(got, []byte{0, 0, 0, 3}) {
			t.Errorf("topics/pizza/partitions = % x, want 00 00 00 03", got)
		}
		for p := byte(0); p < 3; p++ {
			if topic.Bucket([]byte{0, 0, 0, p}) == nil {
				t.Errorf("topics/pizza/%d is not a bucket", p)
			}
		}
		key := binary.BigEndian.AppendUint64(nil, 1)
		if got := topic.Bucket(p0).Get(key); !bytes.Equal(got, wantRecord) {
			t.Errorf("topics/pizza/0/1 = % x, want % x", got, wantRecord)
		}
		want := binary.BigEndian.AppendUint64(nil, 1)
		if got := tx.Bucket([]byte("groups")).Bucket([]byte("g")).Bucket([]byte("pizza")).Get(p0); !bytes.Equal(got, want) {
			t.Errorf("groups/g/pizza/0 = % x, want % x", got, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestOpenFailsFastWhenFileIsHeld(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	mustOpen(t, cfg)
	cfg.OpenTimeout = 100 * time.Millisecond
	start := time.Now()
	l, err := boltlog.Open(cfg)
	if err == nil {
		l.Close()
		t.Fatal("second Open of a held file succeeded")
	}
	if !errors.Is(err, bolt.ErrTimeout) {
		t.Fatalf("err = %v, want bbolt timeout", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("Open took %v despite a 100ms timeout", d)
	}
}

func TestOpenRejectsOtherLayouts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		format []byte
		want   string
	}{
		{"single-partition layout 1", []byte{1}, "layout 1 was written by an earlier version"},
		{"unchecked layout 2", []byte{2}, "layout 2 was written by an earlier version"},
		{"newer layout", []byte{4}, "layout [4]"},
		{"malformed", []byte{2, 0}, "layout [2 0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := testConfig(t)
			closeWithin(t, mustOpenNoCleanup(t, cfg), time.Second)
			db, err := bolt.Open(cfg.Path, 0o600, &bolt.Options{Timeout: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			err = db.Update(func(tx *bolt.Tx) error {
				return tx.Bucket([]byte("meta")).Put([]byte("format"), tt.format)
			})
			if cerr := db.Close(); err != nil || cerr != nil {
				t.Fatal(err, cerr)
			}
			_, err = boltlog.Open(cfg)
			if !errors.Is(err, boltlog.ErrUnsupportedFormat) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want ErrUnsupportedFormat mentioning %q", err, tt.want)
			}
		})
	}
}

func mustOpenNoCleanup(t *testing.T, cfg boltlog.Config) *boltlog.Log {
	t.Helper()
	l, err := boltlog.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return l
}
