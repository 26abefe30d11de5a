package boltlog

import (
	"errors"
	"fmt"
	"testing"
)

// counted returns records first..first+n as a read would, counting reads.
func counted(reads *int, first uint64, n int) func() (uint64, []record, error) {
	return func() (uint64, []record, error) {
		*reads++
		recs := make([]record, n)
		for i := range recs {
			recs[i] = record{uuid: fmt.Sprint(first + uint64(i)), payload: []byte("p")}
		}
		return first, recs, nil
	}
}

func TestTailsServeAChunkAlreadyRead(t *testing.T) {
	tl := newTails()
	tp := topicPartition{"pizza", 3}
	reads := 0
	first, recs, err := tl.read(tp, 10, 64, counted(&reads, 10, 5))
	if err != nil || first != 10 || len(recs) != 5 {
		t.Fatalf("first read: %d, %d records, %v", first, len(recs), err)
	}
	recs[0] = record{} // a caller's slice is its own
	first, again, err := tl.read(tp, 12, 64, counted(&reads, 12, 9))
	if err != nil || first != 12 || len(again) != 3 || again[0].uuid != "12" {
		t.Fatalf("read from the middle of a kept chunk: %d, %v, %v", first, again, err)
	}
	if _, whole, _ := tl.read(tp, 10, 2, counted(&reads, 10, 2)); len(whole) != 2 || whole[0].uuid != "10" {
		t.Fatalf("a kept chunk changed through a caller's slice, or limit ignored: %v", whole)
	}
	if reads != 1 {
		t.Fatalf("%d reads, want 1: the kept chunk was not used", reads)
	}
	tl.read(tp, 15, 64, counted(&reads, 15, 1))
	tl.read(topicPartition{"pizza", 4}, 10, 64, counted(&reads, 10, 1))
	if reads != 3 {
		t.Fatalf("%d reads, want 3: past the chunk and another partition must be read", reads)
	}
}

func TestTailsForgetChunksReadBeforeADeletion(t *testing.T) {
	tl := newTails()
	tp := topicPartition{"dead-letters", 0}
	reads := 0
	tl.read(tp, 0, 64, counted(&reads, 0, 8))
	tl.trimmed()
	first, recs, _ := tl.read(tp, 2, 64, counted(&reads, 5, 3))
	if reads != 2 || first != 5 || len(recs) != 3 {
		t.Fatalf("after a deletion: %d reads, first %d, %d records; want a fresh read from the new start 5", reads, first, len(recs))
	}
}

func TestTailsKeepOnlySmallChunks(t *testing.T) {
	tl := newTails()
	tp := topicPartition{"big", 0}
	reads := 0
	big := func() (uint64, []record, error) {
		reads++
		return 0, []record{{uuid: "0", payload: make([]byte, maxTailBytes+1)}}, nil
	}
	tl.read(tp, 0, 64, big)
	tl.read(tp, 0, 64, big)
	if reads != 2 {
		t.Fatalf("%d reads, want 2: a chunk over %d bytes must not be kept", reads, maxTailBytes)
	}
}

func TestTailsShareErrorsButKeepNothing(t *testing.T) {
	tl := newTails()
	tp := topicPartition{"pizza", 0}
	broken := errors.New("damaged")
	if _, _, err := tl.read(tp, 0, 64, func() (uint64, []record, error) { return 0, nil, broken }); !errors.Is(err, broken) {
		t.Fatalf("err = %v", err)
	}
	reads := 0
	tl.read(tp, 0, 64, counted(&reads, 0, 1))
	if reads != 1 {
		t.Fatal("a failed read left something behind")
	}
}
