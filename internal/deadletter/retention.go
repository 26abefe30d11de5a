package deadletter

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/pizzeria/pizzeria/events"
)

// TrimmableLog is an event log whose partitions can lose a prefix (the
// embedded log; on Kafka the broker applies the topic's retention.ms).
type TrimmableLog interface {
	EndOffsets(topic string) ([]uint64, error)
	ReadPartition(ctx context.Context, topic string, partition int, from, to uint64, fn func(offset uint64, msg *message.Message) error) error
	DeleteBefore(topic string, partition int, before uint64) (uint64, error)
}

var errYoung = errors.New("a letter within the retention")

// Expire deletes the dead letters of topic that failed longer than
// retention before now, and reports how many went. Per partition it deletes
// the longest prefix that ends with an expired letter and holds no letter
// known to be younger: letters arrive in the order they failed, so the
// first young letter ends the scan. A letter's age is its poisoned_at
// (stamped by Poisoned), or for a letter written before that stamp
// existed, its event's occurred_at; a letter with neither goes with the
// expired letters after it and never decides alone. Letters not yet
// re-driven expire like the others: retention bounds the topic, not the
// operator's attention.
func Expire(ctx context.Context, log TrimmableLog, topic string, retention time.Duration, now time.Time) (int, error) {
	if retention <= 0 {
		return 0, nil
	}
	cutoff := now.Add(-retention)
	ends, err := log.EndOffsets(topic)
	if err != nil {
		return 0, err
	}
	expired := 0
	for p, end := range ends {
		var before uint64
		n, unknown := 0, 0
		err := log.ReadPartition(ctx, topic, p, 0, end, func(off uint64, m *message.Message) error {
			at, known := failedAt(m)
			switch {
			case !known:
				unknown++
			case !at.Before(cutoff):
				return errYoung
			default:
				before, n, unknown = off+1, n+unknown+1, 0
			}
			return nil
		})
		if err != nil && !errors.Is(err, errYoung) {
			return expired, fmt.Errorf("reading dead letters of %s partition %d: %w", topic, p, err)
		}
		if n == 0 {
			continue
		}
		if _, err := log.DeleteBefore(topic, p, before); err != nil {
			return expired, fmt.Errorf("deleting expired dead letters of %s partition %d: %w", topic, p, err)
		}
		expired += n
	}
	return expired, nil
}

// failedAt is when a letter's message failed, as well as it is known.
func failedAt(m *message.Message) (time.Time, bool) {
	for _, key := range []string{MetaPoisonedAt, events.MetaOccurredAt} {
		if v := m.Metadata.Get(key); v != "" {
			if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
				return t, true
			}
		}
	}
	return time.Time{}, false
}
