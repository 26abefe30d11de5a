package boltlog_test

import (
	"strings"
	"testing"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/pubsub/tests"
	"github.com/pizzeria/pizzeria/internal/boltlog"
)

// TestPubSubConformance runs watermill's universal Pub/Sub suite. bbolt locks
// a file per open, so every constructor call shares one Log, just as the
// processes of one deployment share one file.
//
// With one message in flight per partition the log keeps a partition's
// order through nacks and unacked messages. With many in flight it does
// not: a nacked message comes back behind its successors, and a consumer
// sees the next messages before acking the current one.
func TestPubSubConformance(t *testing.T) {
	t.Run("MaxInFlight=1", func(t *testing.T) {
		t.Parallel()
		cfg := testConfig(t)
		cfg.MaxInFlight = 1
		runConformance(t, cfg, true)
	})
	t.Run("default", func(t *testing.T) {
		t.Parallel()
		runConformance(t, testConfig(t), false)
	})
}

func runConformance(t *testing.T, cfg boltlog.Config, guaranteedOrder bool) {
	l := mustOpen(t, cfg)
	features := tests.Features{
		ConsumerGroups:                   true,
		Persistent:                       true,
		GuaranteedOrder:                  guaranteedOrder,
		NewSubscriberReceivesOldMessages: true,
	}
	// Calls within one suite test share a consumer group, so a later
	// subscriber continues where an earlier one stopped. The suite's "new
	// subscriber" test means a new consumer, which here is a new group:
	// new groups start at the oldest message.
	pubSub := func(t *testing.T) (message.Publisher, message.Subscriber) {
		group := t.Name()
		if strings.Contains(group, "TestNewSubscriberReceivesOldMessages") {
			group += "/" + watermill.NewShortUUID()
		}
		return l.Publisher(), l.Subscriber(group)
	}
	groupPubSub := func(t *testing.T, group string) (message.Publisher, message.Subscriber) {
		return l.Publisher(), l.Subscriber(group)
	}
	tests.TestPubSub(t, features, pubSub, groupPubSub)
}
