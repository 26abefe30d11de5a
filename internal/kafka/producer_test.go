package kafka

import (
	"fmt"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
)

// One Publish call of many messages goes out as a batch; one order's
// messages must still arrive whole and in the order given.
func TestBatchKeepsOrderPerKey(t *testing.T) {
	_, cfg := mustCluster(t)
	ctx := testCtx(t, time.Minute)
	topic := newTopic(t, ctx, cfg)
	var batch []*message.Message
	for i := range 60 {
		batch = append(batch, event(fmt.Sprintf("e%02d", i), fmt.Sprintf("order-%d", i%3)))
	}
	if err := mustPublisher(t, cfg).Publish(topic, batch...); err != nil {
		t.Fatal(err)
	}
	_, ch := mustSubscribe(t, cfg, "batch", topic)
	last := map[string]string{}
	for _, m := range receive(t, ch, 60, 30*time.Second) {
		order := m.Metadata.Get("correlation_id")
		if prev := last[order]; prev != "" && m.UUID < prev {
			t.Fatalf("%s arrived after %s for %s", m.UUID, prev, order)
		}
		last[order] = m.UUID
	}
}
