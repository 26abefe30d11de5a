package main

import (
	"context"
	"io"
	"log/slog"
	"time"

	"github.com/pizzeria/pizzeria/internal/deadletter"
)

// retentionPass deletes expired dead letters from the embedded log in the
// background; on Kafka the broker does it (the dead-letter topic is created
// with retention.ms).
type retentionPass struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// retentionInterval is how often the pass runs for a retention: a tenth of
// it, between a minute and an hour.
func retentionInterval(retention time.Duration) time.Duration {
	return min(max(retention/10, time.Minute), time.Hour)
}

// startDeadLetterRetention runs deadletter.Expire over the embedded log's
// dead-letter topic at once and then every retentionInterval, until
// closed. It returns nil (nothing to run) on Kafka or with a retention of 0.
func startDeadLetterRetention(t transport, topic string, retention time.Duration, logger *slog.Logger) io.Closer {
	et, ok := t.(embeddedTransport)
	if !ok || retention <= 0 {
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &retentionPass{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		tick := time.NewTicker(retentionInterval(retention))
		defer tick.Stop()
		for {
			n, err := deadletter.Expire(ctx, et.log, topic, retention, time.Now())
			switch {
			case err != nil && ctx.Err() == nil:
				// A failure (a full disk) is retried at the next pass.
				logger.Warn("deleting expired dead letters failed; retrying later", "error", err)
			case n > 0:
				logger.Info("deleted expired dead letters", "letters", n, "retention", retention)
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	return r
}

// Close stops the pass and waits for it.
func (r *retentionPass) Close() error {
	r.cancel()
	<-r.done
	return nil
}
