package kitchen_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/pizzeria/pizzeria/events"
	"github.com/pizzeria/pizzeria/internal/boltlog"
	"github.com/pizzeria/pizzeria/internal/boltstore"
	"github.com/pizzeria/pizzeria/internal/testkit"
	"github.com/pizzeria/pizzeria/kitchen"
)

// finished cooks an order of count pizzas and returns its finished pizzas.
func finished(t *testing.T, orderID string, count int) []*message.Message {
	t.Helper()
	var done []*message.Message
	for _, l := range testkit.Cook(t, codec, orderID, count, time.Time{}) {
		if l.Topic == codec.Topics().Veggies {
			done = append(done, l.Msg)
		}
	}
	return done
}

// A lost ledger is refilled from the log: orders completed in the log stay
// completed without a second OrderCompleted, an order whose pizzas are all
// done but whose completion never made it to the log gets it, and an order
// still cooking completes when its last pizza arrives.
func TestLedgerIsRebuiltFromTheLog(t *testing.T) {
	topics := codec.Topics()
	log := testkit.OpenLog(t, boltlog.Config{})
	pub := log.Publisher()

	finishedOld := finished(t, "completed-before", 2)
	finishedLost := finished(t, "completion-lost", 3)
	cooking := finished(t, "still-cooking", 2)
	old, err := boltstore.OpenLedger(filepath.Join(t.TempDir(), "old.db"))
	if err != nil {
		t.Fatal(err)
	}
	c := kitchen.Bind(codec, kitchen.NewCompletion(old))
	for _, m := range finishedOld {
		out, err := c.Handle(m)
		if err != nil {
			t.Fatal(err)
		}
		if err := pub.Publish(topics.Orders, out...); err != nil {
			t.Fatal(err)
		}
	}
	old.Close()
	for _, m := range append(append(finishedOld, finishedLost...), cooking[0]) {
		if err := pub.Publish(topics.Veggies, m); err != nil {
			t.Fatal(err)
		}
	}

	fresh, err := boltstore.OpenLedger(filepath.Join(t.TempDir(), "fresh.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	missing, err := kitchen.RebuildLedger(t.Context(), log, codec, fresh)
	if err != nil {
		t.Fatal(err)
	}
	if len(missing) != 1 || missing[0].UUID != events.OrderCompletedID("completion-lost") {
		t.Fatalf("missing completions %v, want the one of completion-lost", missing)
	}
	c = kitchen.Bind(codec, kitchen.NewCompletion(fresh))
	for name, m := range map[string]*message.Message{"redelivered completed pizza": finishedOld[1], "redelivered cooking pizza": cooking[0]} {
		if out, err := c.Handle(m); err != nil || len(out) != 0 {
			t.Fatalf("%s: %d events, %v; want none", name, len(out), err)
		}
	}
	out, err := c.Handle(cooking[1])
	if err != nil || len(out) != 1 || out[0].UUID != events.OrderCompletedID("still-cooking") {
		t.Fatalf("last pizza of still-cooking: %v %v", out, err)
	}
}
