package kafka

import (
	"fmt"
	"testing"
	"time"
)

// PartitionLag splits Lag by topic and partition: the parts sum to the
// whole, before and after a group consumes.
func TestPartitionLagSumsToLag(t *testing.T) {
	_, cfg := mustCluster(t)
	ctx := testCtx(t, time.Minute)
	topic := newTopic(t, ctx, cfg)
	pub := mustPublisher(t, cfg)
	for i := range 12 {
		if err := pub.Publish(topic, event(fmt.Sprintf("e%d", i), fmt.Sprintf("o%d", i%5))); err != nil {
			t.Fatal(err)
		}
	}
	check := func(want int64) {
		t.Helper()
		parts, err := PartitionLag(ctx, cfg, "lagger", []string{topic})
		if err != nil {
			t.Fatal(err)
		}
		if len(parts[topic]) != int(cfg.Partitions) {
			t.Fatalf("lag of %d partitions, want %d: %v", len(parts[topic]), cfg.Partitions, parts)
		}
		var sum int64
		for _, n := range parts[topic] {
			sum += n
		}
		total, err := Lag(ctx, cfg, "lagger", []string{topic})
		if err != nil || sum != total || sum != want {
			t.Fatalf("partitions sum to %d, Lag says %d (%v); want %d", sum, total, err, want)
		}
	}
	check(12)
	_, ch := mustSubscribe(t, cfg, "lagger", topic)
	receive(t, ch, 12, 30*time.Second)
	waitLag(t, ctx, cfg, "lagger", topic, 0)
	check(0)
}
