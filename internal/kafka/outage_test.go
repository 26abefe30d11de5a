package kafka

import (
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
)

// A role must survive a broker restart without being restarted itself.
func TestSubscriberResumesAfterBrokerOutage(t *testing.T) {
	dir := t.TempDir()
	first, cfg := mustCluster(t, kfake.NumBrokers(1), kfake.DataDir(dir))
	ctx := testCtx(t, 2*time.Minute)
	topic := newTopic(t, ctx, cfg)
	if err := mustPublisher(t, cfg).Publish(topic, event("before", "o1")); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	_, ch := mustSubscribe(t, cfg, "survivor", topic)
	receive(t, ch, 1, 30*time.Second)

	_, port, err := net.SplitHostPort(cfg.Brokers[0])
	if err != nil {
		t.Fatal(err)
	}
	p, _ := strconv.Atoi(port)
	first.Close()
	time.Sleep(3 * time.Second) // long enough for the subscriber to notice
	mustCluster(t, kfake.NumBrokers(1), kfake.DataDir(dir), kfake.Ports(p))

	if err := mustPublisher(t, cfg).Publish(topic, event("after", "o1")); err != nil {
		t.Fatalf("Publish after restart: %v", err)
	}
	if got := receive(t, ch, 1, 60*time.Second)[0]; got.UUID != "after" {
		t.Errorf("after the outage received %s, want after", got.UUID)
	}
}
