package events

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
)

// CurrentVersion is the schema_version every event is written with today.
// A new shape of any event gets a new version and an Upcaster from the old.
const CurrentVersion = 1

const (
	// MaxPayloadBytes bounds a message's value; larger ones are poison.
	MaxPayloadBytes = 64 << 10
	// MaxOrderCount bounds OrderPlaced.count on the wire, whatever limit the
	// command side enforces, so a forged event cannot fan out without end.
	MaxOrderCount = 10_000
	maxIDLength   = 200
)

// Upcaster turns the payload of version From of an event type into version
// From+1. Upcasters chain: reading a version-1 event when the current
// version is 3 applies 1→2, then 2→3. Old events are never rewritten.
type Upcaster struct {
	Type Type
	From int
	Fn   func(payload []byte) ([]byte, error)
}

// Codec turns events into watermill messages and back. It is safe for
// concurrent use and does no I/O.
type Codec struct {
	topics    Topics
	current   int // the version decoded bodies are upcast to
	upcasters map[Type]map[int]func([]byte) ([]byte, error)
}

// NewCodec returns a codec for the given topics and upcasters.
func NewCodec(topics Topics, upcasters ...Upcaster) *Codec {
	c := &Codec{topics: topics, current: CurrentVersion, upcasters: map[Type]map[int]func([]byte) ([]byte, error){}}
	for _, u := range upcasters {
		if c.upcasters[u.Type] == nil {
			c.upcasters[u.Type] = map[int]func([]byte) ([]byte, error){}
		}
		c.upcasters[u.Type][u.From] = u.Fn
	}
	return c
}

// Topics returns the topics the codec was built for.
func (c *Codec) Topics() Topics { return c.topics }

// Encode returns the message for e: UUID = event id, metadata as headers,
// the body as JSON. The topic to publish on is e.Topic(c.Topics()).
func (c *Codec) Encode(e Event) (*message.Message, error) {
	payload, err := encodeBody(e.Body)
	if err != nil {
		return nil, err
	}
	msg := message.NewMessage(e.ID, payload)
	msg.Metadata.Set(MetaEventID, e.ID)
	msg.Metadata.Set(MetaEventType, string(e.Type()))
	msg.Metadata.Set(MetaSchemaVersion, strconv.Itoa(CurrentVersion))
	if !e.OccurredAt.IsZero() {
		msg.Metadata.Set(MetaOccurredAt, e.OccurredAt.UTC().Format(time.RFC3339Nano))
	}
	msg.Metadata.Set(MetaCorrelationID, e.CorrelationID)
	if e.CausationID != "" {
		msg.Metadata.Set(MetaCausationID, e.CausationID)
	}
	if e.OrderCount > 0 {
		msg.Metadata.Set(MetaOrderCount, strconv.Itoa(e.OrderCount))
	}
	return msg, nil
}

func encodeBody(b Body) ([]byte, error) {
	switch b := b.(type) {
	case *OrderPlaced:
		return json.Marshal(orderPlacedV1{b.OrderID, b.Count, b.PlacedAt.UTC()})
	case *OrderCompleted:
		return json.Marshal(orderCompletedV1{b.OrderID, b.CompletedAt.UTC()})
	case *PizzaEvent:
		return json.Marshal(toPizzaV1(b.Pizza))
	}
	return nil, fmt.Errorf("encode: unsupported body %T", b)
}
