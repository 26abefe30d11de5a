package kafka

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/twmb/franz-go/pkg/kgo"
)

// The original Python services write JSON with key = order id and no headers.
func TestHeaderlessRecordIsDeliveredWithPosition(t *testing.T) {
	_, cfg := mustCluster(t)
	ctx := testCtx(t, time.Minute)
	topic := newTopic(t, ctx, cfg)

	value := `{"order_id":"o-7","pizza_id":"o-7-1","sauce":"extra","cheese":"","meats":"","veggies":"","extra_field":1}`
	producer := rawClient(t, cfg)
	res := producer.ProduceSync(ctx, &kgo.Record{Topic: topic, Key: []byte("o-7"), Value: []byte(value)})
	rec, err := res.First()
	if err != nil {
		t.Fatalf("raw produce: %v", err)
	}

	_, ch := mustSubscribe(t, cfg, "legacy", topic)
	msg := receive(t, ch, 1, 30*time.Second)[0]
	if string(msg.Payload) != value {
		t.Errorf("payload = %s, want %s", msg.Payload, value)
	}
	wantMeta := map[string]string{
		DefaultPartitionMetadata: strconv.Itoa(int(rec.Partition)),
		DefaultOffsetMetadata:    strconv.FormatInt(rec.Offset, 10),
	}
	if fmt.Sprint(map[string]string(msg.Metadata)) != fmt.Sprint(wantMeta) {
		t.Errorf("metadata = %v, want %v", msg.Metadata, wantMeta)
	}
	if want := fmt.Sprintf("kafka:%s:%d:%d", topic, rec.Partition, rec.Offset); msg.UUID != want {
		t.Errorf("UUID = %q, want %q", msg.UUID, want)
	}

	var replayed []string
	err = ReadAll(ctx, cfg, topic, func(m *message.Message) error {
		replayed = append(replayed, m.UUID+" "+string(m.Payload))
		return nil
	})
	if err != nil {
		t.Fatalf("ReadAll: %v", err)
	}
	if len(replayed) != 1 || replayed[0] != msg.UUID+" "+value {
		t.Errorf("ReadAll gave %q, want the same message with the same UUID", replayed)
	}
}
