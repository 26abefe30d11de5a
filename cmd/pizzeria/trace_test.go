package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/pizzeria/pizzeria/events"
)

// tracedProcess runs every role on the embedded log with spans recorded
// in memory, and returns its base URL.
func tracedProcess(t *testing.T) (*process, string, *tracetest.InMemoryExporter) {
	t.Helper()
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	cfg := defaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.Broker = "embedded"
	cfg.ShutdownTimeout = 10 * time.Second
	cfg.MaxCount = 100
	cfg.ReadyMaxLag = 1000
	cfg.LogLevel = "info"
	cfg.LogFormat = "text"
	cfg.tracerProvider = tp
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx, cancel := context.WithCancel(context.Background())
	p, err := build(ctx, &cfg, allRoles(), logger)
	if err != nil {
		t.Fatal(err)
	}
	s, err := p.start(ctx, "127.0.0.1:0")
	if err != nil {
		p.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		if err := s.stop(10 * time.Second); err != nil {
			t.Error(err)
		}
		p.Close()
	})
	return p, "http://" + s.addr, exp
}

func attr(s tracetest.SpanStub, key attribute.Key) string {
	for _, a := range s.Attributes {
		if a.Key == key {
			return a.Value.AsString()
		}
	}
	return ""
}

// awaitSpans polls the exporter until ok holds of the spans recorded.
func awaitSpans(t *testing.T, exp *tracetest.InMemoryExporter, what string, ok func([]tracetest.SpanStub) bool) []tracetest.SpanStub {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		spans := exp.GetSpans()
		if ok(spans) {
			return spans
		}
		if time.Now().After(deadline) {
			var names []string
			for _, s := range spans {
				names = append(names, s.Name+"/"+s.SpanContext.TraceID().String()[:8])
			}
			t.Fatalf("%s: not seen in %d spans: %s", what, len(spans), strings.Join(names, ", "))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestOneOrderIsOneTrace: the POST, its append, the fan-out, every stage,
// the completion and every projection apply of one order share one trace,
// carried across the embedded log in message metadata.
func TestOneOrderIsOneTrace(t *testing.T) {
	_, base, exp := tracedProcess(t)
	resp, err := http.Post(base+"/orders", "application/json", strings.NewReader(`{"count":2}`))
	if err != nil {
		t.Fatal(err)
	}
	var placed struct {
		OrderID string `json:"order_id"`
	}
	json.NewDecoder(resp.Body).Decode(&placed)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST: %d", resp.StatusCode)
	}

	// Every hop, named by the handler (= consumer group) that ran it.
	want := []string{"POST /orders", "append orders", "pizzeria-order-manager", "pizzeria-stage-sauce",
		"pizzeria-stage-cheese", "pizzeria-stage-meats", "pizzeria-stage-veggies", "pizzeria-order-completion",
		"append pizza-with-veggies"}
	for _, topic := range events.DefaultTopics().Events() {
		want = append(want, "pizzeria-views-.*."+topic)
	}
	var root trace.TraceID
	awaitSpans(t, exp, "every hop of the order", func(spans []tracetest.SpanStub) bool {
		for _, s := range spans {
			if s.Name == "POST /orders" {
				root = s.SpanContext.TraceID()
			}
		}
		for _, w := range want {
			if !hasSpan(spans, w, root) {
				return false
			}
		}
		return true
	})
	// And no span about this order lies outside that trace.
	for _, s := range exp.GetSpans() {
		if attr(s, "order_id") == placed.OrderID && s.SpanContext.TraceID() != root {
			t.Errorf("span %s of the order is in trace %s, not the POST's %s", s.Name, s.SpanContext.TraceID(), root)
		}
	}
}

// hasSpan reports whether spans hold one in trace whose name matches
// pattern (".*" matches any run of characters).
func hasSpan(spans []tracetest.SpanStub, pattern string, id trace.TraceID) bool {
	prefix, suffix, wild := strings.Cut(pattern, ".*")
	for _, s := range spans {
		if s.SpanContext.TraceID() != id {
			continue
		}
		if (!wild && s.Name == pattern) || (wild && strings.HasPrefix(s.Name, prefix) && strings.HasSuffix(s.Name, suffix)) {
			return true
		}
	}
	return false
}

// TestHeaderlessMessageStartsANewTrace: a pizza in the original services'
// format, with no headers at all, is handled as ever and its journey on
// becomes a trace of its own.
func TestHeaderlessMessageStartsANewTrace(t *testing.T) {
	p, base, exp := tracedProcess(t)
	raw := p.log.Publisher() // no trace context added
	payload := `{"order_id":"legacy-7","pizza_id":"legacy-7-1","sauce":"","cheese":"","meats":"","veggies":"","oven":"hot"}`
	if err := raw.Publish(events.DefaultTopics().Pizza, message.NewMessage("legacy-7-1", []byte(payload))); err != nil {
		t.Fatal(err)
	}
	spans := awaitSpans(t, exp, "the legacy pizza at every stage", func(spans []tracetest.SpanStub) bool {
		n := 0
		for _, s := range spans {
			if strings.HasPrefix(s.Name, "pizzeria-stage-") && attr(s, "order_id") == "legacy-7" {
				n++
			}
		}
		return n >= 3 // cheese, meats, veggies: their input has our headers
	})
	var first tracetest.SpanStub
	for _, s := range spans {
		if s.Name == "pizzeria-stage-sauce" && attr(s, "event_id") == "" {
			first = s
		}
	}
	if !first.SpanContext.IsValid() || first.Parent.IsValid() {
		t.Fatalf("the header-less message's span %+v: want a new root span", first.SpanContext)
	}
	for _, s := range spans {
		if attr(s, "order_id") == "legacy-7" && s.SpanContext.TraceID() != first.SpanContext.TraceID() {
			t.Errorf("span %s of the legacy pizza is in trace %s, not %s", s.Name, s.SpanContext.TraceID(), first.SpanContext.TraceID())
		}
	}
	resp, err := http.Get(base + "/order/legacy-7")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("the legacy order's view: %d", resp.StatusCode)
	}
}
