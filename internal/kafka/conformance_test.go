package kafka

import (
	"strings"
	"testing"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/pubsub/tests"
)

// TestPubSubConformance runs watermill's Pub/Sub suite against the adapter,
// claiming consumer groups and persistence, no exactly-once delivery.
//
// With the default window, messages of one partition are in flight
// together and a nacked one comes back after later ones, so order is not
// guaranteed (Pizzeria's readers order by position, not by arrival). With a
// window of one on a single partition, delivery is in order, nacks
// included, and the suite's ordering tests run too.
// TestReconnect needs a broker restart command and is skipped by the suite.
func TestPubSubConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("conformance suite is slow")
	}
	cases := []struct {
		name       string
		partitions int32
		window     int
		ordered    bool
	}{
		{"parallel", 4, 0, false},
		{"window of one", 1, 1, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, cfg := mustCluster(t)
			cfg.Partitions, cfg.Window = tc.partitions, tc.window
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
			// One group per test, so parallel tests do not rebalance
			// each other; a test that builds several subscribers
			// still shares one group.
			perTest := func(t *testing.T) (message.Publisher, message.Subscriber) {
				return withGroup(t, strings.NewReplacer("/", "_", " ", "_").Replace(t.Name()))
			}
			tests.TestPubSub(t, tests.Features{
				ConsumerGroups:      true,
				ExactlyOnceDelivery: false,
				GuaranteedOrder:     tc.ordered,
				Persistent:          true,
			}, perTest, withGroup)
		})
	}
}
