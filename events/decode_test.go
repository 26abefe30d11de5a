package events

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/ThreeDotsLabs/watermill/message"
)

const orderID = "0b7d8d52-5f4a-4b7e-9a7c-9d0f3f0c2a11"

func bare(payload string, md map[string]string) *message.Message {
	msg := message.NewMessage("", []byte(payload))
	for k, v := range md {
		msg.Metadata.Set(k, v)
	}
	return msg
}

func TestDecodeOriginalHeaderlessPizza(t *testing.T) {
	codec := NewCodec(DefaultTopics())
	// Exactly what the original services put on the wire: bare JSON, no
	// pizza_id, no headers; plus a field we do not know.
	msg := bare(`{"order_id":"`+orderID+`","sauce":"light","cheese":"","meats":"","veggies":"","oven":"hot"}`,
		map[string]string{MetaReceivedPartition: "2", MetaReceivedOffset: "41"})
	e, err := codec.Decode("pizza-with-sauce", msg)
	if err != nil {
		t.Fatal(err)
	}
	p := e.Body.(*PizzaEvent)
	if p.Stage != StageSauce || p.Pizza.Sauce != "light" || e.CorrelationID != orderID {
		t.Fatalf("decoded %+v", e)
	}
	if want := LegacyPizzaID("pizza-with-sauce", "2", "41"); p.Pizza.PizzaID != want {
		t.Fatalf("pizza id %q, want position-derived %q", p.Pizza.PizzaID, want)
	}
	again, _ := codec.Decode("pizza-with-sauce", msg)
	if again.ID != e.ID || e.ID != PizzaEventID(StageSauce, p.Pizza.PizzaID) {
		t.Fatalf("event id not deterministic: %q %q", e.ID, again.ID)
	}
}

func TestDecodeHeaderlessOrdersTopic(t *testing.T) {
	codec := NewCodec(DefaultTopics())
	e, err := codec.Decode("orders", bare(`{"order_id":"o1","count":2,"placed_at":"2026-01-02T03:04:05Z"}`, nil))
	if err != nil {
		t.Fatal(err)
	}
	if e.Type() != TypeOrderPlaced || e.ID != OrderPlacedID("o1") || e.OccurredAt.IsZero() {
		t.Fatalf("decoded %+v", e)
	}
}

func TestDecodeRejectsPoison(t *testing.T) {
	codec := NewCodec(DefaultTopics())
	typed := func(typ Type) map[string]string { return map[string]string{MetaEventType: string(typ)} }
	cases := []struct {
		name    string
		topic   string
		payload string
		md      map[string]string
		want    error
	}{
		{"malformed json", "pizza", `{"order_id":`, nil, ErrMalformed},
		{"json array", "pizza-with-cheese", `[1,2]`, nil, ErrMalformed},
		{"unknown event type", "orders", `{}`, typed("OrderEaten"), ErrUnknownType},
		{"future schema version", "orders", `{"order_id":"o","count":1}`,
			map[string]string{MetaEventType: "OrderPlaced", MetaSchemaVersion: "99"}, ErrUnsupportedVersion},
		{"garbage schema version", "orders", `{"order_id":"o","count":1}`,
			map[string]string{MetaSchemaVersion: "one"}, ErrMalformed},
		{"missing order id", "pizza", `{"pizza_id":"p"}`, nil, ErrMissingOrderID},
		{"missing order id on orders", "orders", `{"count":1}`, nil, ErrMissingOrderID},
		{"oversized value", "pizza", `{"order_id":"o","pizza_id":"` + strings.Repeat("x", MaxPayloadBytes) + `"}`, nil, ErrTooLarge},
		{"count zero", "orders", `{"order_id":"o","count":0}`, nil, ErrMalformed},
		{"count beyond wire limit", "orders", `{"order_id":"o","count":1000000000}`, nil, ErrMalformed},
		{"stage event on wrong topic", "pizza", `{"order_id":"o","pizza_id":"p"}`, typed(TypeCheeseAdded), ErrWrongTopic},
		{"pizza event on orders", "orders", `{"order_id":"o","pizza_id":"p"}`, typed(TypeSauceAdded), ErrWrongTopic},
		{"headerless on unknown topic", "elsewhere", `{"order_id":"o"}`, nil, ErrUnknownType},
		{"orders without a shape", "orders", `{"order_id":"o"}`, nil, ErrUnknownType},
		{"bad occurred_at", "pizza", `{"order_id":"o","pizza_id":"p"}`, map[string]string{MetaOccurredAt: "yesterday"}, ErrMalformed},
		{"pizza without id or position", "pizza", `{"order_id":"o"}`, nil, ErrMalformed},
		{"negative order count", "pizza", `{"order_id":"o","pizza_id":"p"}`, map[string]string{MetaOrderCount: "-1"}, ErrMalformed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := codec.Decode(tc.topic, bare(tc.payload, tc.md))
			if !errors.Is(err, tc.want) || !errors.Is(err, ErrInvalidEvent) {
				t.Fatalf("got %v, want %v wrapping ErrInvalidEvent", err, tc.want)
			}
		})
	}
}

func TestUpcastersChainOldVersions(t *testing.T) {
	// A reader two versions ahead: v1 used "qty", v2 renamed it "n", v3 is
	// today's "count". Old bytes are never rewritten, only read through.
	rename := func(from, to string) func([]byte) ([]byte, error) {
		return func(p []byte) ([]byte, error) {
			return bytes.Replace(p, []byte(`"`+from+`"`), []byte(`"`+to+`"`), 1), nil
		}
	}
	codec := NewCodec(DefaultTopics(),
		Upcaster{Type: TypeOrderPlaced, From: 1, Fn: rename("qty", "n")},
		Upcaster{Type: TypeOrderPlaced, From: 2, Fn: rename("n", "count")},
	)
	codec.current = 3
	msg := bare(`{"order_id":"o","qty":4}`, map[string]string{MetaEventType: "OrderPlaced", MetaSchemaVersion: "1"})
	e, err := codec.Decode("orders", msg)
	if err != nil {
		t.Fatal(err)
	}
	if got := e.Body.(*OrderPlaced).Count; got != 4 {
		t.Fatalf("count after upcasting = %d, want 4", got)
	}
	msg.Metadata.Set(MetaEventType, string(TypeOrderCompleted))
	if _, err := codec.Decode("orders", msg); !errors.Is(err, ErrUnsupportedVersion) {
		t.Fatalf("missing upcaster: got %v, want ErrUnsupportedVersion", err)
	}
}
