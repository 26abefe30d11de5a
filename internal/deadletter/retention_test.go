package deadletter_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/pizzeria/pizzeria/events"
	"github.com/pizzeria/pizzeria/internal/deadletter"
)

func TestExpireDeletesLettersOlderThanTheRetentionOnly(t *testing.T) {
	ctx := context.Background()
	l := mustLog(t)
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	at := func(h int) string { return t0.Add(time.Duration(h) * time.Hour).Format(time.RFC3339Nano) }
	// Failed at t0+0h, 1h, 2h, unknown, 3h, 10h, then 1h again (a late
	// writer): the scan stops at the first young letter.
	stamps := []string{at(0), at(1), at(2), "", at(3), at(10), at(1)}
	for i, stamp := range stamps {
		m := letter("pizza", fmt.Sprint(i), "stage")
		m.Metadata.Set(deadletter.MetaPoisonedAt, stamp)
		if err := l.Publisher().Publish(dlq, m); err != nil {
			t.Fatal(err)
		}
	}
	// Two letters were re-driven before; the rest are pending.
	sub := l.Subscriber("redrive")
	ch, err := sub.Subscribe(ctx, dlq)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		(<-ch).Ack()
	}
	sub.Close()

	now := t0.Add(9 * time.Hour) // retention 5h: everything before t0+4h goes
	if n, err := deadletter.Expire(ctx, l, dlq, 0, now); err != nil || n != 0 {
		t.Fatalf("retention 0 (keep): %d deleted, %v", n, err)
	}
	n, err := deadletter.Expire(ctx, l, dlq, 5*time.Hour, now)
	if err != nil || n != 5 {
		t.Fatalf("expired %d, %v; want the 5 letters before the young one", n, err)
	}
	if n, err := deadletter.Expire(ctx, l, dlq, 5*time.Hour, now); err != nil || n != 0 {
		t.Fatalf("a second pass expired %d more, %v", n, err)
	}
	total, _ := l.Count(dlq)
	pending, _ := l.Lag("redrive", []string{dlq})
	if total != 2 || pending != 2 {
		t.Fatalf("after expiry: %d letters, %d pending; want 2 and 2", total, pending)
	}
	// Listing and re-driving go on from the first letter left, as the
	// admin commands compute them.
	got, err := deadletter.List(ctx, l, dlq, total-pending, 10)
	if err != nil || len(got) != 2 || got[0].Position != "0/5" || got[1].Position != "0/6" {
		t.Fatalf("list after expiry: %+v, %v", got, err)
	}
	sub = l.Subscriber("redrive")
	redriven, err := deadletter.Redrive(ctx, sub, l.Publisher(), dlq, pending)
	sub.Close()
	if err != nil || redriven != 2 {
		t.Fatalf("redrive after expiry: %d, %v", redriven, err)
	}
}

func TestALetterSaysWhenAndWhereItFailed(t *testing.T) {
	m := message.NewMessage("m", []byte("x"))
	m.Metadata.Set(events.MetaReceivedPartition, "3")
	m.Metadata.Set(events.MetaReceivedOffset, "41")
	failed := time.Date(2026, 3, 1, 12, 0, 0, 5, time.FixedZone("CET", 3600))
	l := deadletter.Poisoned(m, "pizza", "stage", "group", "malformed payload", failed)
	at, err := time.Parse(time.RFC3339Nano, l.Metadata.Get(deadletter.MetaPoisonedAt))
	if err != nil || !at.Equal(failed) {
		t.Fatalf("poisoned_at %q (%v), want %v", l.Metadata.Get(deadletter.MetaPoisonedAt), err, failed)
	}
	if l.Metadata.Get(deadletter.MetaSourcePartition) != "3" || l.Metadata.Get(deadletter.MetaSourceOffset) != "41" || l.Metadata.Get("reason_poisoned") != "malformed payload" {
		t.Fatalf("letter metadata %v", l.Metadata)
	}
	if m.Metadata.Get(deadletter.MetaPoisonedAt) != "" {
		t.Fatal("the failed message itself was changed")
	}
}
