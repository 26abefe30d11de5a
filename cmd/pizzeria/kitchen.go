package main

import (
	"errors"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pizzeria/pizzeria/events"
	"github.com/pizzeria/pizzeria/internal/faults"
	"github.com/pizzeria/pizzeria/internal/pipeline"
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

// kitchen runs every handler of this process on the log, in batches.
type kitchen struct {
	runner *pipeline.Runner
	t      transport
	codec  *events.Codec
	prefix string // of topics and consumer groups
	// consumed lists, per consumer group, the topics this process reads;
	// readiness and the lag metrics read it (Consumed) while handlers are
	// still being added.
	mu       sync.Mutex
	consumed map[string][]string
}

// newKitchen returns a kitchen with no handlers. A message whose event can
// never be handled (undecodable, refused by the views, or a panic) goes to
// the dead-letter topic and the pipeline goes on. Any other failure (a
// full disk, a broker away) is delivered again until it passes:
// dead-lettering good events would lose them. While writes fail, handlers
// wait on writes instead of each retrying.
func newKitchen(t transport, codec *events.Codec, prefix string, writes *faults.Gate, reg prometheus.Registerer, closeTimeout time.Duration, obs *telemetry.Handlers, logger *slog.Logger) (*kitchen, error) {
	r, err := pipeline.New(pipeline.Config{
		Publisher:    t.Publisher(),
		DeadLetters:  codec.Topics().DeadLetters,
		IsPoison:     isInvalidEvent, // the pipeline adds panics
		Writes:       writes,
		Observer:     obs,
		Registerer:   reg,
		CloseTimeout: closeTimeout,
		Logger:       logger,
	})
	if err != nil {
		return nil, err
	}
	return &kitchen{runner: r, t: t, codec: codec, prefix: prefix, consumed: map[string][]string{}}, nil
}

func isInvalidEvent(err error) bool { return errors.Is(err, events.ErrInvalidEvent) }

// add runs handle on topic under the consumer group group, as the
// handler name (both without the topic prefix).
func (k *kitchen) add(group, name, topic, out string, handle pipeline.BatchFunc) error {
	group = k.prefix + group
	sub, err := k.t.Subscriber(group)
	if err != nil {
		return err
	}
	k.runner.Add(pipeline.Handler{Name: k.prefix + name, Group: group, Topic: topic, Subscriber: sub, Handle: handle, OutTopic: out})
	k.mu.Lock()
	k.consumed[group] = append(k.consumed[group], topic)
	k.mu.Unlock()
	return nil
}

func (k *kitchen) addReactor(group string, h *kit.Handler) error {
	return k.add(group, group, h.InputTopic(), h.OutputTopic(), h.HandleBatch)
}

func (k *kitchen) addOrderManager(ledger kit.CompletionLedger) error {
	if err := k.addReactor(groupFanOut, kit.Bind(k.codec, kit.FanOut{})); err != nil {
		return err
	}
	return k.addReactor(groupCompletion, kit.Bind(k.codec, kit.NewCompletion(ledger)))
}

func (k *kitchen) addStage(s events.Stage) error {
	return k.addReactor(groupStage+s.String(), kit.Bind(k.codec, kit.NewStage(s)))
}

// addViews feeds every event topic into the store, under one consumer group
// per query node so that each node holds a full copy.
func (k *kitchen) addViews(store *projections.Store, nodeID string) error {
	p := projections.NewProjector(store, k.codec)
	for _, topic := range k.codec.Topics().Events() {
		// One group reads every topic: each topic's handler is named apart.
		group := groupViews + nodeID
		if err := k.add(group, group+"."+topic, topic, "", p.HandleBatch(topic)); err != nil {
			return err
		}
	}
	return nil
}

// Consumed is a copy of the topics this process reads, per consumer group.
func (k *kitchen) Consumed() map[string][]string {
	k.mu.Lock()
	defer k.mu.Unlock()
	out := make(map[string][]string, len(k.consumed))
	for g, topics := range k.consumed {
		out[g] = slices.Clone(topics)
	}
	return out
}
