package events

import (
	"errors"
	"reflect"
	"testing"
)

// FuzzDecode feeds arbitrary topics, headers and payloads to the decoder: it
// must never panic, every failure must be an ErrInvalidEvent (so it is
// dead-lettered, not retried forever), and every success must survive an
// encode/decode round trip unchanged.
func FuzzDecode(f *testing.F) {
	f.Add("pizza", "", "", `{"order_id":"o","pizza_id":"p","sauce":"","cheese":"","meats":"","veggies":""}`)
	f.Add("pizza-with-cheese", "CheeseAdded", "1", `{"order_id":"o","pizza_id":"p","cheese":"extra"}`)
	f.Add("orders", "OrderPlaced", "1", `{"order_id":"o","count":3,"placed_at":"2026-01-01T00:00:00Z"}`)
	f.Add("orders", "", "", `{"order_id":"o","completed_at":"2026-01-01T00:00:00Z"}`)
	f.Add("orders", "OrderPlaced", "7", `{"order_id":"o","count":3}`)
	f.Add("pizza", "", "", `{"order_id":`)
	codec := NewCodec(DefaultTopics())
	f.Fuzz(func(t *testing.T, topic, typ, version, payload string) {
		msg := bare(payload, map[string]string{MetaEventType: typ, MetaSchemaVersion: version, MetaReceivedOffset: "1"})
		e, err := codec.Decode(topic, msg)
		if err != nil {
			if !errors.Is(err, ErrInvalidEvent) {
				t.Fatalf("failure %v does not wrap ErrInvalidEvent", err)
			}
			return
		}
		out, err := codec.Encode(e)
		if err != nil {
			t.Fatalf("encode decoded event: %v", err)
		}
		back, err := codec.Decode(e.Topic(codec.Topics()), out)
		if err != nil {
			t.Fatalf("re-decode: %v", err)
		}
		if !reflect.DeepEqual(back, e) {
			t.Fatalf("round trip changed the event:\n%+v\n%+v", e, back)
		}
	})
}
