package events

import (
	"testing"

	"github.com/ThreeDotsLabs/watermill/message"
)

// BenchmarkDecodePizza decodes the event every hop of the kitchen and every
// view reads: a finished pizza with its headers.
func BenchmarkDecodePizza(b *testing.B) {
	topics := DefaultTopics()
	codec := NewCodec(topics)
	pizza := Pizza{OrderID: "0b7d8d52-5f4a-4b7e-9a7c-9d0f3f0c2a11", PizzaID: "8f5c2a3e-1d2b-5c4d-9e8f-0a1b2c3d4e5f",
		Sauce: "alfredo", Cheese: "goat cheese", Meats: "ham & bacon", Veggies: "olives"}
	msg, err := codec.Encode(Event{ID: "e1", OccurredAt: at, CorrelationID: pizza.OrderID, CausationID: "e0",
		Body: &PizzaEvent{Stage: StageVeggies, Pizza: pizza}})
	if err != nil {
		b.Fatal(err)
	}
	topic := topics.ForStage(StageVeggies)
	b.ReportAllocs()
	for b.Loop() {
		m := message.NewMessage(msg.UUID, msg.Payload)
		m.Metadata = msg.Metadata
		if _, err := codec.Decode(topic, m); err != nil {
			b.Fatal(err)
		}
	}
}
