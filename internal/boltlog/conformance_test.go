package boltlog_test

import (
	"strings"
	"testing"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/pubsub/tests"
)

// TestPubSubConformance runs watermill's universal Pub/Sub suite. bbolt locks
// a file per open, so every constructor call shares one Log, just as the
// processes of one deployment share one file.
func TestPubSubConformance(t *testing.T) {
	t.Parallel()
	l := mustOpen(t, testConfig(t))
	features := tests.Features{
		ConsumerGroups:                   true,
		Persistent:                       true,
		GuaranteedOrder:                  true,
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
