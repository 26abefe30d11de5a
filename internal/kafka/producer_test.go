package kafka

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/twmb/franz-go/pkg/kmsg"
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

// The router publishes from many goroutines at once; their calls must share
// produce requests rather than cost a round trip each.
func TestConcurrentPublishesShareProduceRequests(t *testing.T) {
	c, cfg := mustCluster(t)
	ctx := testCtx(t, time.Minute)
	topic := newTopic(t, ctx, cfg)
	pub := mustPublisher(t, cfg)
	if err := pub.Publish(topic, event("warm-up", "o")); err != nil {
		t.Fatal(err)
	}
	var requests atomic.Int64
	c.ControlKey(kmsg.Produce.Int16(), func(kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		requests.Add(1)
		return nil, nil, false // the cluster handles it as usual
	})
	const callers = 200
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			if err := pub.Publish(topic, event(fmt.Sprintf("e%03d", i), fmt.Sprintf("order-%d", i))); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := requests.Load(); n == 0 || n > callers/4 {
		t.Errorf("%d concurrent Publish calls took %d produce requests, want at most %d", callers, n, callers/4)
	} else {
		t.Logf("%d concurrent Publish calls took %d produce requests", callers, n)
	}
}
