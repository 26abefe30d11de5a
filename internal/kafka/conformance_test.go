package kafka

import (
	"strings"
	"testing"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/pubsub/tests"
)

// TestPubSubConformance runs watermill's Pub/Sub suite against the adapter.
// It claims what watermill-kafka's own suite claims: consumer groups and
// persistence, no exactly-once delivery, and no global order, since messages
// without a correlation id go to any partition (order is per correlation id,
// which TestRoundTripKeepsMetadataAndPartitionsByCorrelationID covers).
// TestReconnect needs a broker restart command and is skipped by the suite.
func TestPubSubConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("conformance suite is slow")
	}
	_, cfg := mustCluster(t)
	cfg.Partitions = 4

	withGroup := func(t *testing.T, group string) (message.Publisher, message.Subscriber) {
		pub, err := NewPublisher(cfg)
		if err != nil {
			t.Fatalf("NewPublisher: %v", err)
		}
		sub, err := NewSubscriber(cfg, group)
		if err != nil {
			t.Fatalf("NewSubscriber: %v", err)
		}
		return pub, sub
	}
	// One group per test, so parallel tests do not rebalance each other;
	// a test that builds several subscribers still shares one group.
	perTest := func(t *testing.T) (message.Publisher, message.Subscriber) {
		return withGroup(t, strings.NewReplacer("/", "_", " ", "_").Replace(t.Name()))
	}
	tests.TestPubSub(t, tests.Features{
		ConsumerGroups:      true,
		ExactlyOnceDelivery: false,
		GuaranteedOrder:     false,
		Persistent:          true,
	}, perTest, withGroup)
}
