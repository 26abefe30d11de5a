package kafka

import (
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// An HTTP request publishing an event must not hang on a broken cluster.
func TestPublishFailsWithinBoundWhenClusterIsGone(t *testing.T) {
	cases := []struct {
		name    string
		breakIt func(t *testing.T, stop func(), hang func())
	}{
		{"stopped", func(t *testing.T, stop, _ func()) { stop() }},
		{"unresponsive", func(t *testing.T, _, hang func()) { hang() }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, cfg := mustCluster(t)
			ctx := testCtx(t, time.Minute)
			topic := newTopic(t, ctx, cfg)
			pub := mustPublisher(t, cfg)
			if err := pub.Publish(topic, event("before", "o1")); err != nil {
				t.Fatalf("Publish to a healthy cluster: %v", err)
			}

			release := make(chan struct{})
			hang := func() {
				// Every request from now on waits until the test ends.
				c.KeepControl()
				c.Control(func(kmsg.Request) (kmsg.Response, error, bool) {
					<-release
					return nil, nil, false
				})
			}
			t.Cleanup(func() { close(release) })
			tc.breakIt(t, c.Close, hang)

			start := time.Now()
			err := pub.Publish(topic, event("after", "o1"))
			elapsed := time.Since(start)
			if err == nil {
				t.Fatal("Publish to a broken cluster succeeded")
			}
			if bound := 3 * cfg.PublishTimeout; elapsed > bound {
				t.Errorf("Publish failed after %s, want within %s", elapsed, bound)
			}
			t.Logf("failed after %s: %v", elapsed, err)
			if err := pub.Close(); err != nil {
				t.Logf("Close: %v", err)
			}
		})
	}
}
