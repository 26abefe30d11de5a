package kafka

import (
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/twmb/franz-go/pkg/kgo"
)

// delivery is one fetched record on its way through a subscription.
type delivery struct {
	part  *partition
	rec   *kgo.Record
	msg   *message.Message // set while handed out
	acked bool
}

// partition tracks one assigned partition from its first record not yet
// acked on: the records fetched since, which of them are handed out, and
// the end of the longest fully-acked prefix, which is the offset to commit.
//
// Records are handed out only within window of the first un-acked one, so at
// most window messages of a partition are in flight, and a partition holds
// at most about hold records (plus what one fetch returned) before its
// fetching is paused. A partition is not safe for concurrent use; the
// subscription guards it.
type partition struct {
	id     int32
	window int
	hold   int

	recs     []*delivery // fetched, in offset order, from the first un-acked
	released int         // recs[:released] were handed to the dispatcher
	next     int64       // offset the next fetched record must have at least

	ackedTo   kgo.EpochOffset // end of the acked prefix; Offset -1 for none yet
	committed int64           // last offset committed
	paused    bool
	revoked   bool
}

func newPartition(id int32, window int) *partition {
	return &partition{
		id: id, window: window, hold: max(2*window, 64),
		next: -1, ackedTo: kgo.EpochOffset{Epoch: -1, Offset: -1}, committed: -1,
	}
}

// add appends a fetched record and returns the deliveries that became
// eligible. A record older than one already added (a stale fetch) is
// ignored.
func (p *partition) add(rec *kgo.Record) []*delivery {
	if rec.Offset < p.next {
		return nil
	}
	p.next = rec.Offset + 1
	p.recs = append(p.recs, &delivery{part: p, rec: rec})
	return p.release()
}

// release returns the deliveries that entered the window since last time.
func (p *partition) release() []*delivery {
	var out []*delivery
	for p.released < len(p.recs) && p.released < p.window {
		out = append(out, p.recs[p.released])
		p.released++
	}
	return out
}

// ack records that d was handled, advances the acked prefix past every
// leading acked record and returns the deliveries that entered the window.
func (p *partition) ack(d *delivery) []*delivery {
	if d.acked {
		return nil
	}
	d.acked = true
	d.msg = nil
	n := 0
	for n < len(p.recs) && p.recs[n].acked {
		r := p.recs[n].rec
		p.ackedTo = kgo.EpochOffset{Epoch: r.LeaderEpoch, Offset: r.Offset + 1}
		n++
	}
	if n == 0 {
		return nil
	}
	clear(p.recs[:n])
	p.recs = p.recs[n:]
	p.released -= n
	return p.release()
}

// full says whether fetching should pause; resumable whether it may resume.
func (p *partition) full() bool      { return len(p.recs) >= p.hold }
func (p *partition) resumable() bool { return len(p.recs) < p.hold/2 }

// toCommit reports the acked prefix if it has not been committed yet.
func (p *partition) toCommit() (kgo.EpochOffset, bool) {
	return p.ackedTo, p.ackedTo.Offset > p.committed
}

// outstanding returns the deliveries handed out and not acked yet.
func (p *partition) outstanding() []*delivery {
	var out []*delivery
	for _, d := range p.recs[:p.released] {
		if !d.acked && d.msg != nil {
			out = append(out, d)
		}
	}
	return out
}
