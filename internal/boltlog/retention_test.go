package boltlog_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	bolt "go.etcd.io/bbolt"

	"github.com/pizzeria/pizzeria/internal/boltlog"
)

func readOffsets(t *testing.T, l *boltlog.Log, topic string) []int {
	t.Helper()
	var offs []int
	err := l.ReadAll(context.Background(), topic, func(m *message.Message) error {
		off, err := strconv.Atoi(m.Metadata.Get(boltlog.MetaReceivedOffset))
		if err != nil {
			return err
		}
		if string(m.Payload) != fmt.Sprint(off) {
			return fmt.Errorf("offset %d holds %q", off, m.Payload)
		}
		offs = append(offs, off)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return offs
}

func span(from, to int) []int {
	var s []int
	for i := from; i < to; i++ {
		s = append(s, i)
	}
	return s
}

// firstStoredKey is the offset of the first batch stored for partition 0 of
// topic in the closed log file at path.
func firstStoredKey(t *testing.T, path, topic string) uint64 {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var first uint64
	err = db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("topics")).Bucket([]byte(topic)).Bucket([]byte{0, 0, 0, 0})
		k, _ := b.Cursor().First()
		first = binary.BigEndian.Uint64(k)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return first
}

// A deleted prefix is gone for every reader, and nothing else moves:
// offsets are not reused, the end stays, consumer groups below the start
// go on from it, and appends after it fold as before.
func TestDeleteBeforeMovesTheStartAndNothingElse(t *testing.T) {
	for _, before := range []int{200, 280, 400} { // inside a folded batch, inside the loose run, past the end
		t.Run(fmt.Sprint(before), func(t *testing.T) {
			cfg := testConfig(t)
			cfg.Partitions = 1
			l, err := boltlog.Open(cfg)
			if err != nil {
				t.Fatal(err)
			}
			pub := l.Publisher()
			for i := range 10 {
				mustPublish(t, pub, "dlq", fmt.Sprint(i))
			}
			// Group g acks all 10 and leaves; its cursor stays in memory.
			sub := l.Subscriber("g")
			ch := subscribe(t, sub, "dlq")
			for range 10 {
				receive(t, ch, 5*time.Second).Ack()
			}
			sub.Close()
			for i := 10; i < 300; i++ { // two folded batches of 128, 44 loose records
				mustPublish(t, pub, "dlq", fmt.Sprint(i))
			}

			start, err := l.DeleteBefore("dlq", 0, uint64(before))
			want := min(before, 300)
			if err != nil || start != uint64(want) {
				t.Fatalf("DeleteBefore(%d): start %d, %v; want %d", before, start, err, want)
			}
			if got := readOffsets(t, l, "dlq"); !slices.Equal(got, span(want, 300)) {
				t.Fatalf("read %v after deleting below %d", got, want)
			}
			if n, _ := l.Count("dlq"); n != int64(300-want) {
				t.Fatalf("Count %d, want %d", n, 300-want)
			}
			if ends, _ := l.EndOffsets("dlq"); ends[0] != 300 {
				t.Fatalf("the end moved to %d", ends[0])
			}
			for _, group := range []string{"g", "new"} {
				if c, _ := l.Committed(group, "dlq"); c[0] != uint64(want) {
					t.Fatalf("group %s is at %d, want the start %d", group, c[0], want)
				}
				if lag, _ := l.Lag(group, []string{"dlq"}); lag != int64(300-want) {
					t.Fatalf("group %s lags %d, want %d", group, lag, 300-want)
				}
			}
			// Appends go on at the end, and fold over what is left.
			for i := 300; i < 500; i++ {
				mustPublish(t, pub, "dlq", fmt.Sprint(i))
			}
			// g, whose cursor was in the deleted prefix, goes on at the start.
			sub = l.Subscriber("g")
			ch = subscribe(t, sub, "dlq")
			if m := receive(t, ch, 5*time.Second); m.Metadata.Get(boltlog.MetaReceivedOffset) != fmt.Sprint(want) {
				t.Fatalf("group g resumed at offset %s, want %d", m.Metadata.Get(boltlog.MetaReceivedOffset), want)
			}
			sub.Close()
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			if first := firstStoredKey(t, cfg.Path, "dlq"); first == 0 || first > uint64(want) {
				t.Fatalf("the first stored batch is at %d: nothing was deleted, or too much", first)
			}
			if err := boltlog.Check(cfg.Path, time.Second); err != nil {
				t.Fatalf("check after a deletion: %v", err)
			}
			l = mustOpen(t, cfg)
			if got := readOffsets(t, l, "dlq"); !slices.Equal(got, span(want, 500)) {
				t.Fatalf("after a reopen read %d records from %v", len(got), got[:1])
			}
			if starts, _ := l.StartOffsets("dlq"); starts[0] != uint64(want) {
				t.Fatalf("start after a reopen %d", starts[0])
			}
		})
	}
}

// A subscription with messages in flight when the offsets after them are
// deleted delivers what it holds, then goes on at the start.
func TestASubscriptionInFlightGoesOnAfterADeletion(t *testing.T) {
	cfg := testConfig(t)
	cfg.Partitions = 1
	cfg.ReadAhead = 4
	cfg.MaxInFlight = 4
	l := mustOpen(t, cfg)
	pub := l.Publisher()
	for i := range 20 {
		mustPublish(t, pub, "dlq", fmt.Sprint(i))
	}
	sub := l.Subscriber("g")
	defer sub.Close()
	ch := subscribe(t, sub, "dlq")
	held := []*message.Message{receive(t, ch, 5*time.Second), receive(t, ch, 5*time.Second)}
	if _, err := l.DeleteBefore("dlq", 0, 15); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range held {
		got = append(got, m.Metadata.Get(boltlog.MetaReceivedOffset))
		m.Ack()
	}
	for len(got) < 2+2+5 { // held, the rest of the window, then 15..19
		m := receive(t, ch, 5*time.Second)
		got = append(got, m.Metadata.Get(boltlog.MetaReceivedOffset))
		m.Ack()
	}
	want := []string{"0", "1", "2", "3", "15", "16", "17", "18", "19"}
	if !slices.Equal(got, want) {
		t.Fatalf("delivered %v, want %v", got, want)
	}
}
