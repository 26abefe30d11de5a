package kitchen_test

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/pizzeria/pizzeria/internal/testkit"

	"github.com/pizzeria/pizzeria/kitchen"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/pizzeria/pizzeria/events"
	"github.com/pizzeria/pizzeria/internal/boltstore"
)

var codec = events.NewCodec(events.DefaultTopics())

func decodeAll(t *testing.T, topic string, msgs []*message.Message) []events.Event {
	t.Helper()
	return testkit.DecodeAll(t, codec, topic, msgs)
}

func placedMessage(t *testing.T, count int) (*message.Message, string) {
	t.Helper()
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	m, err := codec.Encode(events.Event{ID: events.OrderPlacedID("order-1"), OccurredAt: at, CorrelationID: "order-1",
		Body: &events.OrderPlaced{OrderID: "order-1", Count: count, PlacedAt: at}})
	if err != nil {
		t.Fatal(err)
	}
	return m, "order-1"
}

func TestFanOutIsDeterministic(t *testing.T) {
	in, orderID := placedMessage(t, 3)
	f := kitchen.Bind(codec, kitchen.FanOut{})
	first, err := f.Handle(in)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := f.Handle(in)
	if len(first) != 3 {
		t.Fatalf("fan-out produced %d pizzas, want 3", len(first))
	}
	for i := range first {
		if string(first[i].Payload) != string(again[i].Payload) || first[i].UUID != again[i].UUID {
			t.Fatalf("redelivery produced a different pizza %d", i)
		}
	}
	for k, e := range decodeAll(t, f.OutputTopic(), first) {
		p := e.Body.(*events.PizzaEvent).Pizza
		if p.PizzaID != events.PizzaID(orderID, k) || e.OrderCount != 3 || e.CausationID != events.OrderPlacedID(orderID) {
			t.Fatalf("pizza %d: %+v", k, e)
		}
	}
}

func TestStageWorkersCarryThePizzaThroughTheKitchen(t *testing.T) {
	in, _ := placedMessage(t, 1)
	msgs, err := kitchen.Bind(codec, kitchen.FanOut{}).Handle(in)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range events.WorkerStages {
		w := kitchen.Bind(codec, kitchen.NewStage(s))
		out, err := w.Handle(msgs[0])
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		redo, _ := w.Handle(msgs[0])
		if out[0].UUID != redo[0].UUID || string(out[0].Payload) != string(redo[0].Payload) {
			t.Fatalf("%s: redelivery changed the output", s)
		}
		msgs = out
	}
	done := decodeAll(t, codec.Topics().Veggies, msgs)[0]
	p := done.Body.(*events.PizzaEvent).Pizza
	if p.Sauce == "" || p.Cheese == "" || p.Meats == "" || p.Veggies == "" || done.OrderCount != 1 {
		t.Fatalf("finished pizza lacks a topping: %+v", done)
	}
}

func TestStageRejectsPoisonAsInvalidEvent(t *testing.T) {
	w := kitchen.Bind(codec, kitchen.NewStage(events.StageCheese))
	_, err := w.Handle(message.NewMessage("x", []byte("not json")))
	if !errors.Is(err, events.ErrInvalidEvent) {
		t.Fatalf("got %v, want ErrInvalidEvent", err)
	}
}

func TestCompletionEmitsOnceWhenTheLastPizzaIsDone(t *testing.T) {
	ledger, err := boltstore.OpenLedger(filepath.Join(t.TempDir(), "ledger.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer ledger.Close()
	c := kitchen.Bind(codec, kitchen.NewCompletion(ledger))
	in, orderID := placedMessage(t, 2)
	pizzas, _ := kitchen.Bind(codec, kitchen.FanOut{}).Handle(in)
	var finished []*message.Message
	for _, m := range pizzas {
		for _, s := range events.WorkerStages {
			out, err := kitchen.Bind(codec, kitchen.NewStage(s)).Handle(m)
			if err != nil {
				t.Fatal(err)
			}
			m = out[0]
		}
		finished = append(finished, m)
	}
	steps := []struct {
		name string
		msg  *message.Message
		want int
	}{
		{"first pizza", finished[0], 0},
		{"first pizza again", finished[0], 0},
		{"last pizza completes", finished[1], 1},
		{"last pizza redelivered re-emits the same event", finished[1], 1},
		{"early pizza after completion", finished[0], 0},
	}
	for _, st := range steps {
		out, err := c.Handle(st.msg)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if len(out) != st.want {
			t.Fatalf("%s: %d events, want %d", st.name, len(out), st.want)
		}
		if len(out) == 1 && out[0].UUID != events.OrderCompletedID(orderID) {
			t.Fatalf("%s: OrderCompleted id %s is not deterministic", st.name, out[0].UUID)
		}
	}
}
