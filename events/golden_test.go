package events

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
)

var update = flag.Bool("update", false, "rewrite golden files")

var at = time.Date(2026, 11, 22, 13, 45, 0, 123456789, time.UTC)

// goldenEvents holds one event of every type at the current version. Its
// golden file pins the bytes on the wire: an encoder change that alters them
// breaks readers of events already written and must fail here.
func goldenEvents() map[string]Event {
	pizza := Pizza{OrderID: "0b7d8d52-5f4a-4b7e-9a7c-9d0f3f0c2a11", PizzaID: "8f5c2a3e-1d2b-5c4d-9e8f-0a1b2c3d4e5f"}
	out := map[string]Event{
		"OrderPlaced.v1": {ID: "e1", OccurredAt: at, CorrelationID: pizza.OrderID,
			Body: &OrderPlaced{OrderID: pizza.OrderID, Count: 3, PlacedAt: at}},
		"OrderCompleted.v1": {ID: "e2", OccurredAt: at, CorrelationID: pizza.OrderID, CausationID: "e9",
			Body: &OrderCompleted{OrderID: pizza.OrderID, CompletedAt: at}},
	}
	toppings := []func(*Pizza){
		func(*Pizza) {},
		func(p *Pizza) { p.Sauce = "alfredo" },
		func(p *Pizza) { p.Cheese = "goat cheese" },
		func(p *Pizza) { p.Meats = "ham & bacon" },
		func(p *Pizza) { p.Veggies = "olives" },
	}
	for s := StageOrdered; s <= StageVeggies; s++ {
		toppings[s](&pizza)
		out[string(s.EventType())+".v1"] = Event{ID: fmt.Sprintf("p%d", s), OccurredAt: at,
			CorrelationID: pizza.OrderID, CausationID: "c", OrderCount: 3,
			Body: &PizzaEvent{Stage: s, Pizza: pizza}}
	}
	return out
}

func render(msg *message.Message) string {
	keys := make([]string, 0, len(msg.Metadata))
	for k := range msg.Metadata {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	fmt.Fprintf(&b, "uuid: %s\n", msg.UUID)
	for _, k := range keys {
		fmt.Fprintf(&b, "%s: %s\n", k, msg.Metadata[k])
	}
	fmt.Fprintf(&b, "\n%s\n", msg.Payload)
	return b.String()
}

func TestGoldenEncoding(t *testing.T) {
	codec := NewCodec(DefaultTopics())
	for name, e := range goldenEvents() {
		t.Run(name, func(t *testing.T) {
			msg, err := codec.Encode(e)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", "golden", name+".golden")
			got := render(msg)
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./events -update once to create it)", err)
			}
			if got != string(want) {
				t.Fatalf("wire bytes changed for %s:\n--- got\n%s--- want\n%s", name, got, want)
			}
			back, err := codec.Decode(e.Topic(codec.Topics()), msg)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(back, e) {
				t.Fatalf("round trip:\n got %+v\nwant %+v", back, e)
			}
		})
	}
}
