package boltlog_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/pizzeria/pizzeria/internal/boltlog"
	bolt "go.etcd.io/bbolt"
)

// writeLog publishes n messages to one partition of topic "t", single
// messages first and then in batches, so that some are folded into
// compressed batches and some stay loose, and closes the log.
func writeLog(t *testing.T, cfg boltlog.Config, n int) []*message.Message {
	t.Helper()
	l := mustOpenNoCleanup(t, cfg)
	pub := l.Publisher()
	var msgs []*message.Message
	for len(msgs) < n {
		size := min(1+len(msgs)%7, n-len(msgs))
		batch := make([]*message.Message, size)
		for i := range batch {
			k := len(msgs) + i
			batch[i] = message.NewMessage(fmt.Sprintf("a1b2c3d4-0000-4000-8000-%012d", k), []byte(`{"pizza":`+strconv.Itoa(k)+`,"sauce":"regular"}`))
			batch[i].Metadata.Set("event_type", "SauceAdded")
		}
		if err := pub.Publish("t", batch...); err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, batch...)
	}
	closeWithin(t, l, 5*time.Second)
	return msgs
}

// batchKeys lists the keys of partition 0 of topic "t".
func batchKeys(t *testing.T, path string) []uint64 {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var keys []uint64
	err = db.View(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("topics")).Bucket([]byte("t")).Bucket([]byte{0, 0, 0, 0}).ForEach(func(k, _ []byte) error {
			keys = append(keys, binary.BigEndian.Uint64(k))
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// readFrom reads partition 0 of "t" from offset from to its end.
func readFrom(l *boltlog.Log, from uint64) ([]*message.Message, error) {
	var got []*message.Message
	err := l.ReadPartition(context.Background(), "t", 0, from, 1<<62, func(off uint64, msg *message.Message) error {
		if want := from + uint64(len(got)); off != want {
			return fmt.Errorf("offset %d where %d belongs", off, want)
		}
		got = append(got, msg)
		return nil
	})
	return got, err
}

func sameMessages(t *testing.T, got, want []*message.Message) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("read %d messages, want %d", len(got), len(want))
	}
	for i := range got {
		if got[i].UUID != want[i].UUID || !bytes.Equal(got[i].Payload, want[i].Payload) || got[i].Metadata.Get("event_type") != want[i].Metadata.Get("event_type") {
			t.Fatalf("message %d: got %s %q, want %s %q", i, got[i].UUID, got[i].Payload, want[i].UUID, want[i].Payload)
		}
	}
}

// TestFoldedBatchesReadFromEveryOffset checks that records folded into
// compressed batches read back exactly, starting anywhere, before and after
// a reopen that keeps appending to a partition with loose records at its
// end.
func TestFoldedBatchesReadFromEveryOffset(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.Partitions = 1
	msgs := writeLog(t, cfg, 300)
	keys := batchKeys(t, cfg.Path)
	if len(keys) >= 300/2 {
		t.Fatalf("%d keys for 300 records: nothing was folded", len(keys))
	}

	l := mustOpenNoCleanup(t, cfg)
	for _, from := range []uint64{0, 1, 127, 128, 129, 200, 255, 256, 299, 300} {
		got, err := readFrom(l, from)
		if err != nil {
			t.Fatalf("from %d: %v", from, err)
		}
		sameMessages(t, got, msgs[from:])
	}
	// Appending after the reopen finds the loose records left at the end
	// and folds them with the new ones.
	more := make([]*message.Message, 200)
	for i := range more {
		more[i] = message.NewMessage(strconv.Itoa(300+i), []byte(strconv.Itoa(300+i)))
		if err := l.Publisher().Publish("t", more[i]); err != nil {
			t.Fatal(err)
		}
	}
	msgs = append(msgs, more...)
	got, err := readFrom(l, 0)
	if err != nil {
		t.Fatal(err)
	}
	sameMessages(t, got, msgs)
	closeWithin(t, l, 5*time.Second)
	if err := boltlog.Check(cfg.Path, time.Second); err != nil {
		t.Fatalf("Check of a sound log: %v", err)
	}
	if n := len(batchKeys(t, cfg.Path)); n >= 500/2 {
		t.Fatalf("%d keys for 500 records: nothing was folded after the reopen", n)
	}
}

// flipByte changes one byte of the value stored under partition 0 of "t"
// at key offset, at position at from the value's end.
func flipByte(t *testing.T, path string, offset uint64, fromEnd int) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("topics")).Bucket([]byte("t")).Bucket([]byte{0, 0, 0, 0})
		key := binary.BigEndian.AppendUint64(nil, offset)
		v := bytes.Clone(b.Get(key))
		if v == nil {
			return fmt.Errorf("no value at %d", offset)
		}
		v[len(v)-fromEnd] ^= 0x01
		return b.Put(key, v)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestDamageIsReportedNotReturned changes one byte inside a stored record,
// loose or folded: reading it fails with ErrCorruptRecord naming the file,
// topic, partition and offset; what comes before it still reads; Check
// reports it.
func TestDamageIsReportedNotReturned(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name  string
		batch func(keys []uint64) uint64
	}{
		{"folded batch", func(keys []uint64) uint64 { return keys[1] }},
		{"loose record", func(keys []uint64) uint64 { return keys[len(keys)-1] }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := testConfig(t)
			cfg.Partitions = 1
			msgs := writeLog(t, cfg, 300)
			at := tt.batch(batchKeys(t, cfg.Path))
			flipByte(t, cfg.Path, at, 3)

			l := mustOpen(t, cfg)
			_, err := readFrom(l, 0)
			if !errors.Is(err, boltlog.ErrCorruptRecord) {
				t.Fatalf("read over a changed byte: %v, want ErrCorruptRecord", err)
			}
			for _, want := range []string{cfg.Path, `topic "t"`, "partition 0", fmt.Sprintf("offset %d", at), "checksum"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
			got, err := l.ReadPartition(context.Background(), "t", 0, 0, at, func(uint64, *message.Message) error { return nil }), error(nil)
			if got != nil {
				t.Fatalf("reading what precedes the damage: %v", got)
			}
			_ = msgs
			closeWithin(t, l, 5*time.Second)

			err = boltlog.Check(cfg.Path, time.Second)
			if !errors.Is(err, boltlog.ErrCorruptRecord) || !strings.Contains(err.Error(), "checksum") {
				t.Fatalf("Check = %v, want a checksum error", err)
			}
		})
	}
}

// TestDamagedFileGivesAnError truncates the file or writes garbage over
// its pages: opening and reading it must end in an error, never in a
// crash or in data that differs from what was written.
func TestDamagedFileGivesAnError(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name   string
		damage func(t *testing.T, path string)
	}{
		{"truncated mid-file", func(t *testing.T, path string) {
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.Truncate(path, fi.Size()/3); err != nil {
				t.Fatal(err)
			}
		}},
		{"garbage pages", func(t *testing.T, path string) {
			f, err := os.OpenFile(path, os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			garbage := bytes.Repeat([]byte{0xa5, 0x5a, 0xff, 0x13}, 4096)
			for _, page := range []int64{2, 3, 5, 8, 13} {
				if _, err := f.WriteAt(garbage, page*4096); err != nil {
					t.Fatal(err)
				}
			}
		}},
		{"random bytes in data pages", func(t *testing.T, path string) {
			// Pages in use, not free ones: garbage there is harmless.
			leaves := pagesOfType(t, path, "leaf")
			if len(leaves) < 3 {
				t.Fatalf("only %d leaf pages", len(leaves))
			}
			f, err := os.OpenFile(path, os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			rng := rand.New(rand.NewPCG(1, 2))
			garbage := make([]byte, 4096)
			for _, page := range []int{leaves[len(leaves)/5], leaves[len(leaves)/2], leaves[len(leaves)-1]} {
				for i := range garbage {
					garbage[i] = byte(rng.Uint32())
				}
				if _, err := f.WriteAt(garbage, int64(page)*4096); err != nil {
					t.Fatal(err)
				}
			}
		}},
		{"empty file", func(t *testing.T, path string) {
			if err := os.Truncate(path, 0); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := testConfig(t)
			cfg.Partitions = 1
			msgs := writeLog(t, cfg, 3000)
			tt.damage(t, cfg.Path)

			checkErr := boltlog.Check(cfg.Path, time.Second)
			if checkErr == nil {
				t.Errorf("Check found nothing wrong")
			}
			t.Logf("Check: %v", checkErr)
			l, err := boltlog.Open(cfg)
			if err != nil {
				t.Logf("Open: %v", err)
				return
			}
			defer l.Close()
			got, err := readFrom(l, 0)
			if err == nil {
				sameMessages(t, got, msgs) // fails: a damaged file read as if sound
			}
			t.Logf("read: %v; Check: %v", err, checkErr)
		})
	}
}

// TestLargeRecordsAmongSmallOnes mixes records larger than a folded batch
// may hold with small ones: all read back exactly.
func TestLargeRecordsAmongSmallOnes(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.Partitions = 1
	l := mustOpen(t, cfg)
	var msgs []*message.Message
	for i := range 400 {
		payload := []byte(strconv.Itoa(i))
		switch i {
		case 3, 150, 151, 390:
			payload = bytes.Repeat([]byte("large and compressible "), (3<<20)/23)
		case 200:
			payload = bytes.Repeat([]byte("x"), 900<<10)
		}
		msg := message.NewMessage(strconv.Itoa(i), payload)
		if err := l.Publisher().Publish("t", msg); err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, msg)
	}
	got, err := readFrom(l, 0)
	if err != nil {
		t.Fatal(err)
	}
	sameMessages(t, got, msgs)
	got, err = readFrom(l, 151)
	if err != nil {
		t.Fatal(err)
	}
	sameMessages(t, got, msgs[151:])
}

// pagesOfType lists the ids of the file's pages of bbolt page type typ.
func pagesOfType(t *testing.T, path, typ string) []int {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var ids []int
	err = db.View(func(tx *bolt.Tx) error {
		for id := 2; int64(id)*4096 < tx.Size(); id++ {
			info, err := tx.Page(id)
			if err != nil {
				return err
			}
			if info != nil && info.Type == typ {
				ids = append(ids, id)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}
