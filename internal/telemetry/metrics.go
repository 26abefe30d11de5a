package telemetry

import (
	"context"
	"errors"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pizzeria/pizzeria/events"
)

// Metrics are the kitchen's own Prometheus metrics. Label values come from
// fixed sets (stages, failure classes, configured topics and groups, the
// partitions of those topics), so the number of series is bounded.
type Metrics struct {
	ordersPlaced    prometheus.Counter
	ordersCompleted prometheus.Counter
	pizzas          *prometheus.CounterVec
	deadLetters     *prometheus.CounterVec
	completion      prometheus.Histogram
	appendSeconds   *prometheus.HistogramVec

	placedAt func(ctx context.Context, orderID string) (time.Time, error)
	done     chan completion
	stop     context.CancelFunc
	stopped  chan struct{}
}

type completion struct {
	orderID string
	at      time.Time
}

// MetricsConfig configures NewMetrics.
type MetricsConfig struct {
	Registry *prometheus.Registry
	// PlacedAt looks up when an order was placed, for the placed-to-completed
	// histogram (not observed if nil).
	PlacedAt func(ctx context.Context, orderID string) (time.Time, error)
	// Lag lists consumer lag per group, topic and partition at each scrape
	// (no lag gauge if nil).
	Lag func(ctx context.Context) ([]PartitionLag, error)
	// Version and Revision label pizzeria_build_info; read from the
	// binary's build information when empty.
	Version, Revision string
}

// PartitionLag is how many messages of one partition a group has yet to process.
type PartitionLag struct {
	Group     string
	Topic     string
	Partition int32
	Lag       int64
}

// NewMetrics registers the metrics on cfg.Registry. Close stops the
// goroutine that observes completion latencies.
func NewMetrics(cfg MetricsConfig) (*Metrics, error) {
	m := &Metrics{
		ordersPlaced: prometheus.NewCounter(prometheus.CounterOpts{Name: "pizzeria_orders_placed_total",
			Help: "Orders placed, as applied to this node's views."}),
		ordersCompleted: prometheus.NewCounter(prometheus.CounterOpts{Name: "pizzeria_orders_completed_total",
			Help: "Orders completed, as applied to this node's views."}),
		pizzas: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "pizzeria_pizzas_total",
			Help: "Pizzas that reached a stage (ordered, sauce, cheese, meats, veggies = done), as applied to this node's views."}, []string{"stage"}),
		deadLetters: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "pizzeria_dead_letters_total",
			Help: "Messages sent to the dead-letter topic, by reason: invalid_event, panic or other."}, []string{"reason"}),
		completion: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "pizzeria_order_completion_seconds",
			Help:    "Time from an order's placement to its completion (event times).",
			Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300}}),
		appendSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "pizzeria_append_duration_seconds",
			Help:    "Time to append messages to the event log, by topic.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 5}}, []string{"topic"}),
		placedAt: cfg.PlacedAt,
		done:     make(chan completion, 1024),
		stopped:  make(chan struct{}),
	}
	for _, s := range []events.Stage{events.StageOrdered, events.StageSauce, events.StageCheese, events.StageMeats, events.StageVeggies} {
		m.pizzas.WithLabelValues(s.String())
	}
	for _, r := range []string{ReasonInvalidEvent, ReasonPanic, ReasonOther} {
		m.deadLetters.WithLabelValues(r)
	}
	build := buildInfo(cfg.Version, cfg.Revision)
	cs := []prometheus.Collector{m.ordersPlaced, m.ordersCompleted, m.pizzas, m.deadLetters, m.completion, m.appendSeconds, build}
	if cfg.Lag != nil {
		cs = append(cs, lagCollector{cfg.Lag})
	}
	for _, c := range cs {
		if err := cfg.Registry.Register(c); err != nil {
			return nil, errors.Join(errors.New("telemetry: registering metrics"), err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	m.stop = cancel
	go m.observeCompletions(ctx)
	return m, nil
}

// Close stops observing completion latencies.
func (m *Metrics) Close() error {
	m.stop()
	<-m.stopped
	return nil
}

// ObserveAppend records one append's duration.
func (m *Metrics) ObserveAppend(topic string, d time.Duration) {
	m.appendSeconds.WithLabelValues(topic).Observe(d.Seconds())
}

// Observe counts events applied to the views; it is a projections
// observer and never blocks. Delivery is at least once, so an event
// redelivered after a crash may be counted again.
func (m *Metrics) Observe(evs []events.Event) {
	for _, e := range evs {
		switch b := e.Body.(type) {
		case *events.OrderPlaced:
			m.ordersPlaced.Inc()
		case *events.OrderCompleted:
			m.ordersCompleted.Inc()
			select {
			case m.done <- completion{b.OrderID, b.CompletedAt}:
			default: // latency samples are dropped rather than slow the views
			}
		case *events.PizzaEvent:
			m.pizzas.WithLabelValues(b.Stage.String()).Inc()
		}
	}
}

func (m *Metrics) observeCompletions(ctx context.Context) {
	defer close(m.stopped)
	for {
		select {
		case <-ctx.Done():
			return
		case c := <-m.done:
			if m.placedAt == nil {
				continue
			}
			placed, err := m.placedAt(ctx, c.orderID)
			if err == nil && !placed.IsZero() && !c.at.Before(placed) {
				m.completion.Observe(c.at.Sub(placed).Seconds())
			}
		}
	}
}

func buildInfo(version, revision string) prometheus.Collector {
	goVersion := "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok {
		goVersion = bi.GoVersion
		if version == "" {
			version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && revision == "" {
				revision = s.Value
			}
		}
	}
	if version == "" {
		version = "unknown"
	}
	if revision == "" {
		revision = "unknown"
	}
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "pizzeria_build_info",
		Help:        "Always 1; its labels say which build is running.",
		ConstLabels: prometheus.Labels{"version": version, "revision": revision, "goversion": goVersion}})
	g.Set(1)
	return g
}

// lagCollector reads consumer lag at each scrape.
type lagCollector struct {
	lag func(ctx context.Context) ([]PartitionLag, error)
}

var lagDesc = prometheus.NewDesc("pizzeria_consumer_lag_messages",
	"Messages a consumer group has yet to process, by group, topic and partition.",
	[]string{"group", "topic", "partition"}, nil)

func (lagCollector) Describe(ch chan<- *prometheus.Desc) { ch <- lagDesc }

func (c lagCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	lags, err := c.lag(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(lagDesc, err)
		return
	}
	for _, l := range lags {
		ch <- prometheus.MustNewConstMetric(lagDesc, prometheus.GaugeValue, float64(l.Lag),
			l.Group, l.Topic, strconv.Itoa(int(l.Partition)))
	}
}
