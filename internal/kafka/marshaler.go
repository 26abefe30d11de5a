package kafka

import (
	"fmt"
	"strconv"

	"github.com/IBM/sarama"
	wmkafka "github.com/ThreeDotsLabs/watermill-kafka/v3/pkg/kafka"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/twmb/franz-go/pkg/kgo"
)

// marshaler maps watermill messages to Kafka records and back, with
// watermill-kafka's default marshaling underneath.
//
// Outgoing: metadata become headers, the key is what Config.PartitionKey
// returns (Pizzeria passes the correlation id, so all events of one order
// share a partition and keep their order), and receive-side metadata never
// reach the wire.
//
// Incoming: headers become metadata, and every message gets the partition and
// offset it was read from. Records without headers, as the original services
// write them, get a UUID derived from their position, stable across
// redeliveries and replays.
type marshaler struct {
	wmkafka.DefaultMarshaler
	key               func(*message.Message) string
	partitionMetadata string
	offsetMetadata    string
}

// newMarshaler returns the marshaler for cfg; cfg has its defaults set.
func newMarshaler(cfg Config) marshaler {
	cfg.setDefaults()
	return marshaler{key: cfg.PartitionKey, partitionMetadata: cfg.PartitionMetadata, offsetMetadata: cfg.OffsetMetadata}
}

// Marshal implements wmkafka.Marshaler.
func (m marshaler) Marshal(topic string, msg *message.Message) (*sarama.ProducerMessage, error) {
	out := msg
	if _, p := out.Metadata[m.partitionMetadata]; p {
		out = msg.Copy()
	} else if _, o := out.Metadata[m.offsetMetadata]; o {
		out = msg.Copy()
	}
	if out != msg {
		delete(out.Metadata, m.partitionMetadata)
		delete(out.Metadata, m.offsetMetadata)
	}
	rec, err := m.DefaultMarshaler.Marshal(topic, out)
	if err != nil {
		return nil, fmt.Errorf("kafka: marshal message %s: %w", msg.UUID, err)
	}
	if m.key != nil {
		if key := m.key(msg); key != "" {
			rec.Key = sarama.StringEncoder(key)
		}
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
	msg.Metadata.Set(m.partitionMetadata, strconv.FormatInt(int64(rec.Partition), 10))
	msg.Metadata.Set(m.offsetMetadata, strconv.FormatInt(rec.Offset, 10))
	return msg, nil
}

// unmarshalRecord unmarshals a franz-go record by way of the sarama shape
// watermill-kafka's unmarshaling reads, so both consumers deliver identical
// messages.
func (m marshaler) unmarshalRecord(r *kgo.Record) (*message.Message, error) {
	headers := make([]*sarama.RecordHeader, len(r.Headers))
	for i := range r.Headers {
		headers[i] = &sarama.RecordHeader{Key: []byte(r.Headers[i].Key), Value: r.Headers[i].Value}
	}
	return m.Unmarshal(&sarama.ConsumerMessage{
		Headers:   headers,
		Timestamp: r.Timestamp,
		Key:       r.Key,
		Value:     r.Value,
		Topic:     r.Topic,
		Partition: r.Partition,
		Offset:    r.Offset,
	})
}
