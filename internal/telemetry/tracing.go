package telemetry

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// instrumentation is the tracer's name.
const instrumentation = "github.com/pizzeria/pizzeria"

// EndpointEnv is the standard variable that also turns tracing on.
const EndpointEnv = "OTEL_EXPORTER_OTLP_ENDPOINT"

// Tracing holds the tracer provider every hop uses and the W3C trace-context
// propagator that carries a trace across the log. Safe for concurrent use.
type Tracing struct {
	Provider   trace.TracerProvider
	propagator propagation.TextMapPropagator
	tracer     trace.Tracer
	shutdown   func(context.Context) error
}

// NewTracing returns tracing over provider (no-op if nil).
func NewTracing(provider trace.TracerProvider) *Tracing {
	if provider == nil {
		provider = noop.NewTracerProvider()
	}
	return &Tracing{
		Provider:   provider,
		propagator: propagation.TraceContext{},
		tracer:     provider.Tracer(instrumentation),
		shutdown:   func(context.Context) error { return nil },
	}
}

// SetupTracing exports spans over OTLP/HTTP to endpoint (a URL such as
// http://127.0.0.1:4318), or to $OTEL_EXPORTER_OTLP_ENDPOINT when endpoint
// is empty; with neither, tracing is off (no-op spans, nothing exported).
func SetupTracing(ctx context.Context, endpoint, service string) (*Tracing, error) {
	if endpoint == "" && os.Getenv(EndpointEnv) == "" {
		return NewTracing(nil), nil
	}
	var opts []otlptracehttp.Option
	if endpoint != "" {
		opts = append(opts, otlptracehttp.WithEndpointURL(endpoint))
	}
	exp, err := otlptracehttp.New(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("tracing: OTLP exporter: %w", err)
	}
	res := resource.NewSchemaless(semconv.ServiceName(service))
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	t := NewTracing(tp)
	t.shutdown = tp.Shutdown
	return t, nil
}

// Close flushes spans not yet exported, within a few seconds.
func (t *Tracing) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return t.shutdown(ctx)
}

// Propagator is the W3C trace-context propagator, for HTTP middleware.
func (t *Tracing) Propagator() propagation.TextMapPropagator { return t.propagator }

// metadataCarrier lets the propagator read and write message metadata,
// which travels as Kafka headers or in the embedded log's records.
type metadataCarrier message.Metadata

func (c metadataCarrier) Get(key string) string { return message.Metadata(c).Get(key) }
func (c metadataCarrier) Set(key, v string)     { message.Metadata(c).Set(key, v) }
func (c metadataCarrier) Keys() []string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	return keys
}

// extract continues the trace a message carries; a message without one
// (the original services send no headers) starts a new trace.
func (t *Tracing) extract(msg *message.Message) context.Context {
	return t.propagator.Extract(msg.Context(), metadataCarrier(msg.Metadata))
}

// PublisherDecorator wraps a publisher so that each append is a span,
// child of the span in the message's context, and each message carries
// that span's trace context in its metadata.
func (t *Tracing) PublisherDecorator(pub message.Publisher, appendSeconds func(topic string, d time.Duration)) message.Publisher {
	return &tracedPublisher{pub: pub, t: t, observe: appendSeconds}
}

type tracedPublisher struct {
	pub     message.Publisher
	t       *Tracing
	observe func(string, time.Duration)
}

// Publish makes one append span per run of messages that share a context:
// a batch of messages caused by different orders keeps each order's
// messages in that order's trace.
func (p *tracedPublisher) Publish(topic string, msgs ...*message.Message) error {
	var spans []trace.Span
	var parent, ctx context.Context
	for i, m := range msgs {
		if i == 0 || m.Context() != parent {
			parent = m.Context()
			var span trace.Span
			ctx, span = p.t.tracer.Start(parent, "append "+topic, trace.WithSpanKind(trace.SpanKindProducer))
			spans = append(spans, span)
		}
		p.t.propagator.Inject(ctx, metadataCarrier(m.Metadata))
	}
	start := time.Now()
	err := p.pub.Publish(topic, msgs...)
	if p.observe != nil {
		p.observe(topic, time.Since(start))
	}
	for _, span := range spans {
		if span.IsRecording() {
			span.SetAttributes(semconv.MessagingDestinationName(topic), attribute.Int("messaging.batch.message_count", len(msgs)))
			if err != nil {
				span.RecordError(err)
				span.SetStatus(codes.Error, "append failed")
			}
		}
		span.End()
	}
	return err
}

func (p *tracedPublisher) Close() error { return p.pub.Close() }
