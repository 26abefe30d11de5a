package kafka

import (
	"fmt"
	"strconv"

	"github.com/IBM/sarama"
	wmkafka "github.com/ThreeDotsLabs/watermill-kafka/v3/pkg/kafka"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/pizzeria/pizzeria/events"
)

// marshaler maps watermill messages to Kafka records and back.
//
// Outgoing: metadata become headers (watermill's default marshaling), the key
// is the correlation id, so all events of one order share a partition and keep
// their order, and receive-side metadata never reach the wire.
//
// Incoming: headers become metadata, and every message gets the partition and
// offset it was read from. Records without headers, as the original services
// write them, get a UUID derived from their position, stable across
// redeliveries and replays.
type marshaler struct {
	wmkafka.DefaultMarshaler
}

// Marshal implements wmkafka.Marshaler.
func (m marshaler) Marshal(topic string, msg *message.Message) (*sarama.ProducerMessage, error) {
	out := msg
	if out.Metadata.Get(events.MetaReceivedPartition) != "" || out.Metadata.Get(events.MetaReceivedOffset) != "" {
		out = msg.Copy()
		delete(out.Metadata, events.MetaReceivedPartition)
		delete(out.Metadata, events.MetaReceivedOffset)
	}
	rec, err := m.DefaultMarshaler.Marshal(topic, out)
	if err != nil {
		return nil, fmt.Errorf("kafka: marshal message %s: %w", msg.UUID, err)
	}
	if key := msg.Metadata.Get(events.MetaCorrelationID); key != "" {
		rec.Key = sarama.StringEncoder(key)
	}
	return rec, nil
}

// Unmarshal implements wmkafka.Unmarshaler.
func (m marshaler) Unmarshal(rec *sarama.ConsumerMessage) (*message.Message, error) {
	msg, err := m.DefaultMarshaler.Unmarshal(rec)
	if err != nil {
		return nil, fmt.Errorf("kafka: unmarshal %s/%d@%d: %w", rec.Topic, rec.Partition, rec.Offset, err)
	}
	if msg.UUID == "" {
		msg.UUID = fmt.Sprintf("kafka:%s:%d:%d", rec.Topic, rec.Partition, rec.Offset)
	}
	msg.Metadata.Set(events.MetaReceivedPartition, strconv.FormatInt(int64(rec.Partition), 10))
	msg.Metadata.Set(events.MetaReceivedOffset, strconv.FormatInt(rec.Offset, 10))
	return msg, nil
}
