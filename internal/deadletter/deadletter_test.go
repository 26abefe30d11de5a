package deadletter_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/pizzeria/pizzeria/internal/testkit"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/pizzeria/pizzeria/events"
	"github.com/pizzeria/pizzeria/internal/boltlog"
	"github.com/pizzeria/pizzeria/internal/deadletter"
)

const dlq = "dead-letters"

func mustLog(tb testing.TB) *boltlog.Log {
	return testkit.OpenLog(tb, boltlog.Config{PartitionsFor: func(topic string) int {
		if topic == dlq {
			return 1
		}
		return 4
	}})
}

// letter is what the poison queue writes: the failed message plus why and
// where from.
func letter(source, offset, handler string) *message.Message {
	m := message.NewMessage("m-"+source+"-"+offset, []byte(`{"broken":`))
	m.Metadata.Set(events.MetaCorrelationID, "order-"+offset)
	m.Metadata.Set(events.MetaEventType, "PizzaOrdered")
	m.Metadata.Set("reason_poisoned", "malformed payload")
	m.Metadata.Set("topic_poisoned", source)
	m.Metadata.Set("handler_poisoned", handler)
	m.Metadata.Set(deadletter.MetaSourcePartition, "0")
	m.Metadata.Set(deadletter.MetaSourceOffset, offset)
	m.Metadata.Set(deadletter.MetaPoisonedAt, "2026-01-01T00:00:00Z")
	return m
}

func TestListShowsOnlyPendingLettersOldestFirst(t *testing.T) {
	l := mustLog(t)
	for i := range 5 {
		if err := l.Publisher().Publish(dlq, letter("pizza", fmt.Sprint(i), "stage")); err != nil {
			t.Fatal(err)
		}
	}
	got, err := deadletter.List(context.Background(), l, dlq, 2, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].SourceOffset != "2" || got[1].SourceOffset != "3" {
		t.Fatalf("2 of 5 re-driven (3 pending), limit 2: %+v", got)
	}
	if l := got[0]; l.Reason == "" || l.SourceTopic != "pizza" || l.Handler != "stage" || l.Payload != `{"broken":` || l.Position != "0/2" {
		t.Fatalf("letter %+v", l)
	}
}

// Two handlers failed on the same message: it goes back once, as it was,
// and the group's offset marks both letters done.
func TestRedriveSendsEachFailedMessageBackOnce(t *testing.T) {
	l := mustLog(t)
	for _, m := range []*message.Message{letter("pizza", "7", "stage"), letter("pizza", "7", "views"), letter("orders", "1", "views")} {
		if err := l.Publisher().Publish(dlq, m); err != nil {
			t.Fatal(err)
		}
	}
	// The redrive's position is settled once its subscriber is closed, as
	// the admin command does right after Redrive returns.
	sub := l.Subscriber("redrive")
	n, err := deadletter.Redrive(context.Background(), sub, l.Publisher(), dlq, 3)
	sub.Close()
	if err != nil || n != 3 {
		t.Fatalf("redrive: %d, %v", n, err)
	}
	back := map[string][]*message.Message{}
	for _, topic := range []string{"pizza", "orders"} {
		l.ReadAll(context.Background(), topic, func(m *message.Message) error {
			back[topic] = append(back[topic], m)
			return nil
		})
	}
	if len(back["pizza"]) != 1 || len(back["orders"]) != 1 {
		t.Fatalf("re-driven: %d to pizza, %d to orders; want 1 each", len(back["pizza"]), len(back["orders"]))
	}
	m := back["pizza"][0]
	if m.Metadata.Get("reason_poisoned") != "" || m.Metadata.Get(deadletter.MetaSourceOffset) != "" || m.Metadata.Get(deadletter.MetaPoisonedAt) != "" || m.Metadata.Get(events.MetaEventType) != "PizzaOrdered" {
		t.Fatalf("re-driven message keeps dead-letter metadata or lost its own: %v", m.Metadata)
	}
	if lag, _ := l.Lag("redrive", []string{dlq}); lag != 0 {
		t.Fatalf("%d letters still pending after a redrive", lag)
	}
}
