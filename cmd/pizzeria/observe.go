package main

import (
	"context"
	"log/slog"
	"sort"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/pizzeria/pizzeria/api"
	"github.com/pizzeria/pizzeria/internal/telemetry"
	"github.com/pizzeria/pizzeria/projections"
	"github.com/pizzeria/pizzeria/query"
	"github.com/pizzeria/pizzeria/web"
)

// observability is how a process is watched: traces across the log,
// metrics, log lines naming orders and events, and the live streams.
type observability struct {
	tracing  *telemetry.Tracing
	metrics  *telemetry.Metrics
	handlers *telemetry.Handlers
	feed     *api.KitchenFeed // nil unless the process serves views
	cancels  []func()
}

// newObservability sets up tracing (off unless an OTLP endpoint is set) and
// the kitchen metrics on reg. Consumer lag is read from p's kitchen at each
// scrape, completion latency from its views when it has them.
func newObservability(ctx context.Context, cfg *config, logger *slog.Logger, reg *prometheus.Registry, p *process, t func() transport) (*observability, error) {
	tr := telemetry.NewTracing(cfg.tracerProvider)
	if cfg.tracerProvider == nil {
		var err error
		if tr, err = telemetry.SetupTracing(ctx, cfg.OTelEndpoint, "pizzeria"); err != nil {
			return nil, err
		}
	}
	o := &observability{tracing: tr}
	var err error
	o.metrics, err = telemetry.NewMetrics(telemetry.MetricsConfig{
		Registry: reg,
		Lag: func(ctx context.Context) ([]telemetry.PartitionLag, error) {
			if p.kitchen == nil {
				return nil, nil
			}
			return partitionLags(ctx, t(), p.kitchen.Consumed())
		},
		PlacedAt: func(ctx context.Context, id string) (time.Time, error) {
			if p.store == nil {
				return time.Time{}, nil
			}
			o, err := p.store.Order(ctx, id)
			return o.PlacedAt, err
		},
	})
	if err != nil {
		tr.Close()
		return nil, err
	}
	o.handlers = &telemetry.Handlers{Tracing: tr, Metrics: o.metrics, Log: logger,
		OnDeadLetter: func(topic, reason string) {
			if o.feed != nil {
				o.feed.DeadLetter(topic, reason)
			}
		}}
	return o, nil
}

// Close stops the feed and the metrics and flushes spans.
func (o *observability) Close() error {
	for _, c := range o.cancels {
		c()
	}
	if o.feed != nil {
		o.feed.Close()
	}
	o.metrics.Close()
	return o.tracing.Close()
}

// instrument makes every append a traced, timed span.
func (o *observability) instrument(t transport) transport {
	return instrumented{transport: t, pub: o.tracing.PublisherDecorator(t.Publisher(), o.metrics.ObserveAppend)}
}

type instrumented struct {
	transport
	pub message.Publisher
}

func (t instrumented) Publisher() message.Publisher { return t.pub }

// serveViews feeds the views' changes to the metrics and the kitchen
// stream, and lets cfg serve the live streams and the board.
func (o *observability) serveViews(store *projections.Store, q *query.Queries, lag func(context.Context) (int64, error), reg *prometheus.Registry, apiCfg *api.Config) error {
	feed, err := api.NewKitchenFeed(api.KitchenFeedConfig{CheeseReport: q.CheeseReport, Lag: lag, Registry: reg})
	if err != nil {
		return err
	}
	o.feed = feed
	o.cancels = append(o.cancels, store.Observe(o.metrics.Observe), store.Observe(feed.Observe))
	apiCfg.Watcher = store.Notifier()
	apiCfg.Kitchen = feed
	apiCfg.Board = web.Handler()
	return nil
}

// partitionLags reads the lag of every consumer group of this process.
func partitionLags(ctx context.Context, t transport, consumed map[string][]string) ([]telemetry.PartitionLag, error) {
	groups := make([]string, 0, len(consumed))
	for g := range consumed {
		groups = append(groups, g)
	}
	sort.Strings(groups)
	var out []telemetry.PartitionLag
	for _, g := range groups {
		lags, err := t.PartitionLag(ctx, g, consumed[g])
		if err != nil {
			return nil, err
		}
		for topic, parts := range lags {
			for p, n := range parts {
				out = append(out, telemetry.PartitionLag{Group: g, Topic: topic, Partition: p, Lag: n})
			}
		}
	}
	return out, nil
}

// totalLag is how many events this process's consumers have yet to process.
func totalLag(t transport, k *kitchen) func(context.Context) (int64, error) {
	return func(ctx context.Context) (int64, error) {
		var n int64
		for g, topics := range k.Consumed() {
			l, err := t.Lag(ctx, g, topics)
			if err != nil {
				return 0, err
			}
			n += l
		}
		return n, nil
	}
}
