package command

import (
	"context"
	"errors"
	"testing"

	"github.com/pizzeria/pizzeria/internal/testkit"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/pizzeria/pizzeria/events"
	"github.com/pizzeria/pizzeria/internal/boltlog"
)

var codec = events.NewCodec(events.DefaultTopics())

func decodeAll(t *testing.T, topic string, msgs []*message.Message) []events.Event {
	t.Helper()
	return testkit.DecodeAll(t, codec, topic, msgs)
}

func readTopic(tb testing.TB, l *boltlog.Log, topic string) []*message.Message {
	tb.Helper()
	var out []*message.Message
	if err := l.ReadAll(context.Background(), topic, func(m *message.Message) error {
		out = append(out, m)
		return nil
	}); err != nil {
		tb.Fatal(err)
	}
	return out
}

func TestPlaceOrder(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name    string
		cmd     PlaceOrder
		logDown bool
		wantErr error
	}{
		{"one pizza", PlaceOrder{Count: 1}, false, nil},
		{"the maximum", PlaceOrder{Count: DefaultMaxCount}, false, nil},
		{"zero", PlaceOrder{Count: 0}, false, ErrInvalidCount},
		{"negative", PlaceOrder{Count: -1}, false, ErrInvalidCount},
		{"above the maximum", PlaceOrder{Count: DefaultMaxCount + 1}, false, ErrInvalidCount},
		{"non-printable key", PlaceOrder{Count: 1, IdempotencyKey: "a\nb"}, false, ErrInvalidIdempotencyKey},
		{"log closed", PlaceOrder{Count: 1}, true, ErrUnavailable},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := testkit.OpenLog(t, boltlog.Config{})
			if tc.logDown {
				l.Close()
			}
			placed, err := NewPlaceOrderHandler(l.Publisher(), codec, 0).Handle(ctx, tc.cmd)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if tc.logDown {
				return
			}
			appended := readTopic(t, l, "orders")
			if tc.wantErr != nil && len(appended) != 0 {
				t.Fatalf("invalid command appended %d events", len(appended))
			}
			if tc.wantErr == nil {
				if len(appended) != 1 {
					t.Fatalf("appended %d events, want exactly one on orders", len(appended))
				}
				e := decodeAll(t, "orders", appended)[0]
				if e.OrderID() != placed.OrderID || e.Body.(*events.OrderPlaced).Count != tc.cmd.Count {
					t.Fatalf("event %+v does not match %+v", e, placed)
				}
			}
		})
	}
}

func TestIdempotencyKeyNamesTheSameOrder(t *testing.T) {
	h := NewPlaceOrderHandler(testkit.OpenLog(t, boltlog.Config{}).Publisher(), codec, 0)
	a, _ := h.Handle(context.Background(), PlaceOrder{Count: 2, IdempotencyKey: "k-1"})
	b, _ := h.Handle(context.Background(), PlaceOrder{Count: 2, IdempotencyKey: "k-1"})
	c, _ := h.Handle(context.Background(), PlaceOrder{Count: 3, IdempotencyKey: "k-1"})
	d, _ := h.Handle(context.Background(), PlaceOrder{Count: 2})
	e, _ := h.Handle(context.Background(), PlaceOrder{Count: 2})
	if a.OrderID != b.OrderID {
		t.Fatalf("retry named a new order: %s vs %s", a.OrderID, b.OrderID)
	}
	if c.OrderID == a.OrderID || d.OrderID == e.OrderID {
		t.Fatal("different requests named the same order")
	}
}
