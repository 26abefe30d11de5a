package main

import (
	"errors"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/components/metrics"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/pizzeria/pizzeria/events"
	"github.com/pizzeria/pizzeria/internal/deadletter"
	"github.com/pizzeria/pizzeria/internal/telemetry"
	kit "github.com/pizzeria/pizzeria/kitchen"
	"github.com/pizzeria/pizzeria/projections"
)

// Consumer-group names. Offsets are stored under them: renaming one makes
// its role start over from the oldest event. Never rename. With a topic
// prefix the group names carry it too, so kitchens sharing a cluster never
// share a group (and never rebalance each other).
const (
	groupFanOut     = "pizzeria-order-manager"
	groupCompletion = "pizzeria-order-completion"
	groupStage      = "pizzeria-stage-" // + stage name
	groupViews      = "pizzeria-views-" // + node id
)

// kitchen is the message router with every role this process runs.
type kitchen struct {
	router *message.Router
	t      transport
	codec  *events.Codec
	prefix string // of topics and consumer groups
	// consumed lists, per consumer group, the topics this process reads;
	// readiness checks their lag.
	consumed map[string][]string
}

func newKitchen(t transport, codec *events.Codec, prefix string, logger watermill.LoggerAdapter, reg *prometheus.Registry, closeTimeout time.Duration, obs *telemetry.Handlers) (*kitchen, error) {
	r, err := message.NewRouter(message.RouterConfig{CloseTimeout: closeTimeout}, logger)
	if err != nil {
		return nil, err
	}
	// A message whose event can never be handled (undecodable, or a panic)
	// goes to the dead-letter topic after bounded retries, and the pipeline
	// goes on. Any other failure (a full disk, a broker away) is retried
	// until it passes: dead-lettering good events would lose them.
	poison, err := middleware.PoisonQueueWithFilter(t.Publisher(), codec.Topics().DeadLetters, isPoison)
	if err != nil {
		return nil, err
	}
	retry := middleware.Retry{MaxRetries: 3, InitialInterval: 50 * time.Millisecond, MaxInterval: time.Second, Multiplier: 2, Logger: logger}
	// obs traces and logs each message and notes those dead-lettered; its
	// Attempt part sees each failure before it is retried.
	r.AddMiddleware(obs.Outer, poison, deadletter.RecordSource, retry.Middleware, obs.Attempt, middleware.Recoverer)
	metrics.NewPrometheusMetricsBuilder(reg, "pizzeria", "").AddPrometheusRouterMetrics(r)
	return &kitchen{router: r, t: t, codec: codec, prefix: prefix, consumed: map[string][]string{}}, nil
}

func isPoison(err error) bool {
	var panicked middleware.RecoveredPanicError
	return errors.Is(err, events.ErrInvalidEvent) || errors.As(err, &panicked)
}

type worker interface {
	InputTopic() string
	OutputTopic() string
	Handle(*message.Message) ([]*message.Message, error)
}

// add registers a handler; its name is its consumer group.
func (k *kitchen) add(group string, w worker) error {
	group = k.prefix + group
	sub, err := k.t.Subscriber(group)
	if err != nil {
		return err
	}
	k.router.AddHandler(group, w.InputTopic(), sub, w.OutputTopic(), k.t.Publisher(), w.Handle)
	k.consumed[group] = append(k.consumed[group], w.InputTopic())
	return nil
}

func (k *kitchen) addOrderManager(ledger kit.CompletionLedger) error {
	if err := k.add(groupFanOut, kit.Bind(k.codec, kit.FanOut{})); err != nil {
		return err
	}
	return k.add(groupCompletion, kit.Bind(k.codec, kit.NewCompletion(ledger)))
}

func (k *kitchen) addStage(s events.Stage) error {
	return k.add(groupStage+s.String(), kit.Bind(k.codec, kit.NewStage(s)))
}

// addViews feeds every event topic into the store, under one consumer group
// per query node so that each node holds a full copy.
func (k *kitchen) addViews(store *projections.Store, nodeID string) error {
	p := projections.NewProjector(store, k.codec)
	group := k.prefix + groupViews + nodeID
	for _, topic := range k.codec.Topics().Events() {
		sub, err := k.t.Subscriber(group)
		if err != nil {
			return err
		}
		k.router.AddNoPublisherHandler(group+"."+topic, topic, sub, p.Handler(topic))
		k.consumed[group] = append(k.consumed[group], topic)
	}
	return nil
}
