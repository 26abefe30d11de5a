package command_test

import (
	"path/filepath"
	"testing"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/pizzeria/pizzeria/command"
	"github.com/pizzeria/pizzeria/events"
	"github.com/pizzeria/pizzeria/internal/boltlog"
	"github.com/pizzeria/pizzeria/internal/boltstore"
	"github.com/pizzeria/pizzeria/internal/testkit"
)

// cookOrder runs an order of count pizzas through fan-out and the four
// stages and returns its finished pizzas.
func cookOrder(t *testing.T, orderID string, count int) []*message.Message {
	t.Helper()
	in, err := codec.Encode(events.Event{ID: events.OrderPlacedID(orderID), CorrelationID: orderID,
		Body: &events.OrderPlaced{OrderID: orderID, Count: count}})
	if err != nil {
		t.Fatal(err)
	}
	pizzas, err := command.NewFanOut(codec).Handle(in)
	if err != nil {
		t.Fatal(err)
	}
	var done []*message.Message
	for _, m := range pizzas {
		for _, s := range events.WorkerStages {
			out, err := command.NewStageWorker(s, codec).Handle(m)
			if err != nil {
				t.Fatal(err)
			}
			m = out[0]
		}
		done = append(done, m)
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

	finishedOld := cookOrder(t, "completed-before", 2)
	finishedLost := cookOrder(t, "completion-lost", 3)
	cooking := cookOrder(t, "still-cooking", 2)
	old, err := boltstore.OpenLedger(filepath.Join(t.TempDir(), "old.db"))
	if err != nil {
		t.Fatal(err)
	}
	c := command.NewCompletion(codec, old)
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
	missing, err := command.RebuildLedger(t.Context(), log, codec, fresh)
	if err != nil {
		t.Fatal(err)
	}
	if len(missing) != 1 || missing[0].UUID != events.OrderCompletedID("completion-lost") {
		t.Fatalf("missing completions %v, want the one of completion-lost", missing)
	}
	c = command.NewCompletion(codec, fresh)
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
