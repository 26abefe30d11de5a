package kafka

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
)

func TestPartitionCommitsLongestAckedPrefix(t *testing.T) {
	cases := []struct {
		name     string
		window   int
		ack      []int64 // offsets acked, in this order
		want     int64   // offset to commit; -1 for nothing
		released int     // deliveries handed out in total
	}{
		{"nothing acked", 4, nil, -1, 4},
		{"in order", 4, []int64{0, 1, 2}, 3, 7},
		{"gap holds the prefix", 4, []int64{1, 2, 3}, -1, 4},
		{"gap filled last", 4, []int64{3, 2, 1, 0}, 4, 8},
		{"first acked, then a gap", 4, []int64{0, 2, 3}, 1, 5},
		{"window of one", 1, []int64{0}, 1, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := newPartition(0, tc.window)
			byOffset := map[int64]*delivery{}
			released := 0
			take := func(ds []*delivery) {
				for _, d := range ds {
					d.msg = nil
					byOffset[d.rec.Offset] = d
					released++
				}
			}
			for off := range int64(10) {
				take(p.add(&kgo.Record{Offset: off, LeaderEpoch: 1}))
			}
			for _, off := range tc.ack {
				d := byOffset[off]
				if d == nil {
					t.Fatalf("offset %d was never handed out", off)
				}
				take(p.ack(d))
			}
			at, ok := p.toCommit()
			if got := map[bool]int64{true: at.Offset, false: -1}[ok]; got != tc.want {
				t.Errorf("commit offset = %d, want %d", got, tc.want)
			}
			if released != tc.released {
				t.Errorf("handed out %d, want %d (window %d past the first un-acked)", released, tc.released, tc.window)
			}
		})
	}
}

func TestPartitionIgnoresStaleRecords(t *testing.T) {
	p := newPartition(0, 8)
	p.add(&kgo.Record{Offset: 5})
	if got := p.add(&kgo.Record{Offset: 3}); got != nil || len(p.recs) != 1 {
		t.Fatalf("a record older than one already added was taken: %d held", len(p.recs))
	}
}
