package telemetry

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
	"github.com/ThreeDotsLabs/watermill/pubsub/gochannel"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/pizzeria/pizzeria/events"
)

func TestClassifyNamesFailuresFromABoundedSet(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want string
	}{
		{"undecodable event", fmt.Errorf("pizza: %w", events.ErrInvalidEvent), ReasonInvalidEvent},
		{"panic", middleware.RecoveredPanicError{V: "boom"}, ReasonPanic},
		{"anything else", errors.New("disk full"), ReasonOther},
	}
	for _, c := range cases {
		if got := Classify(c.err); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}

// The publisher decorator makes each append a span and puts its W3C trace
// context in the message metadata, where the next handler finds it.
func TestAppendCarriesTheTraceInMetadata(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tr := NewTracing(sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp)))
	pubsub := gochannel.NewGoChannel(gochannel.Config{Persistent: true}, nil)
	defer pubsub.Close()
	var took time.Duration
	pub := tr.PublisherDecorator(pubsub, func(_ string, d time.Duration) { took = d })
	msg := message.NewMessage("1", []byte("{}"))
	if err := pub.Publish("orders", msg); err != nil {
		t.Fatal(err)
	}
	spans := exp.GetSpans()
	if len(spans) != 1 || spans[0].Name != "append orders" || took <= 0 {
		t.Fatalf("spans %v, append took %v", spans, took)
	}
	tp := msg.Metadata.Get("traceparent")
	if !strings.Contains(tp, spans[0].SpanContext.TraceID().String()) {
		t.Fatalf("traceparent %q does not carry trace %s", tp, spans[0].SpanContext.TraceID())
	}
	ctx := tr.extract(msg)
	if _, span := tr.tracer.Start(ctx, "next"); span.SpanContext().TraceID() != spans[0].SpanContext.TraceID() {
		t.Fatal("a handler of the message does not continue its trace")
	}
}

func TestMetricsCountAppliedEvents(t *testing.T) {
	reg := prometheus.NewRegistry()
	placedAt := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	m, err := NewMetrics(MetricsConfig{Registry: reg, Version: "v1.2.3", Revision: "abc",
		PlacedAt: func(context.Context, string) (time.Time, error) { return placedAt, nil },
		Lag: func(context.Context) ([]PartitionLag, error) {
			return []PartitionLag{{Group: "g", Topic: "pizza", Partition: 2, Lag: 7}}, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	m.Observe([]events.Event{
		{Body: &events.OrderPlaced{OrderID: "o", Count: 1, PlacedAt: placedAt}},
		{Body: &events.PizzaEvent{Stage: events.StageCheese, Pizza: events.Pizza{OrderID: "o"}}},
		{Body: &events.OrderCompleted{OrderID: "o", CompletedAt: placedAt.Add(1500 * time.Millisecond)}},
	})
	deadline := time.Now().Add(10 * time.Second)
	for testutil.CollectAndCount(m.completion) == 0 || !strings.Contains(gather(t, reg), "pizzeria_order_completion_seconds_sum 1.5") {
		if time.Now().After(deadline) {
			t.Fatalf("completion latency not observed:\n%s", gather(t, reg))
		}
		time.Sleep(10 * time.Millisecond)
	}
	out := gather(t, reg)
	for _, want := range []string{
		"pizzeria_orders_placed_total 1", "pizzeria_orders_completed_total 1",
		`pizzeria_pizzas_total{stage="cheese"} 1`, `pizzeria_pizzas_total{stage="veggies"} 0`,
		`pizzeria_dead_letters_total{reason="panic"} 0`,
		`pizzeria_consumer_lag_messages{group="g",partition="2",topic="pizza"} 7`,
		`pizzeria_build_info{goversion=`, `revision="abc",version="v1.2.3"} 1`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("metrics lack %s:\n%s", want, out)
		}
	}
}

func gather(t *testing.T, reg *prometheus.Registry) string {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
			}
			name := mf.GetName()
			if len(labels) > 0 {
				name += "{" + strings.Join(labels, ",") + "}"
			}
			switch {
			case m.Counter != nil:
				fmt.Fprintf(&b, "%s %v\n", name, m.Counter.GetValue())
			case m.Gauge != nil:
				fmt.Fprintf(&b, "%s %v\n", name, m.Gauge.GetValue())
			case m.Histogram != nil:
				fmt.Fprintf(&b, "%s_sum %v\n", name, m.Histogram.GetSampleSum())
			}
		}
	}
	return b.String()
}
