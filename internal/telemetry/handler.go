package telemetry

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/pizzeria/pizzeria/events"
)

// Dead-letter reasons: a bounded set, so that they can label a metric.
const (
	ReasonInvalidEvent = "invalid_event"
	ReasonPanic        = "panic"
	ReasonOther        = "other"
)

// Handlers observes every message the kitchen handles: a span per
// message, continuing the trace the message carries; a log line per
// message (debug) and per failure (warn), each naming the order, the event
// and where it was read from; and one warn line, a metric and a callback
// per message sent to the dead-letter topic. It is the pipeline's
// Observer.
type Handlers struct {
	Tracing *Tracing
	Metrics *Metrics // may be nil
	Log     *slog.Logger
	// OnDeadLetter, if set, is told of each dead letter (topic it was read
	// from, the reason's class).
	OnDeadLetter func(topic, reason string)
}

// Handling starts msg's span, a child of the trace msg carries, and sets
// it as msg's context.
func (h *Handlers) Handling(handler, topic string, msg *message.Message) context.Context {
	ctx, span := h.Tracing.tracer.Start(h.Tracing.extract(msg), handler, trace.WithSpanKind(trace.SpanKindConsumer))
	if span.IsRecording() { // with tracing off, spend nothing on attributes
		span.SetAttributes(
			semconv.MessagingDestinationName(topic),
			attribute.String("messaging.consumer.group.name", handler),
			attribute.String("event_id", msg.Metadata.Get(events.MetaEventID)),
			attribute.String("order_id", msg.Metadata.Get(events.MetaCorrelationID)),
			attribute.String("partition", msg.Metadata.Get(events.MetaReceivedPartition)),
			attribute.String("offset", msg.Metadata.Get(events.MetaReceivedOffset)),
		)
	}
	msg.SetContext(ctx)
	return ctx
}

// Handled ends msg's span with its outcome and logs it.
func (h *Handlers) Handled(ctx context.Context, handler, topic string, msg *message.Message, produced int, err error, deadLettered bool) {
	span := trace.SpanFromContext(ctx)
	defer span.End()
	switch {
	case deadLettered:
		class := Classify(err)
		span.RecordError(err)
		span.SetStatus(codes.Error, "dead-lettered")
		h.Log.LogAttrs(ctx, slog.LevelWarn, "message sent to the dead-letter topic",
			append(fields(ctx, msg, topic), slog.String("handler", handler), slog.String("reason", err.Error()), slog.String("reason_class", class))...)
		if h.Metrics != nil {
			h.Metrics.deadLetters.WithLabelValues(class).Inc()
		}
		if h.OnDeadLetter != nil {
			h.OnDeadLetter(topic, class)
		}
	case err != nil:
		span.RecordError(err)
		span.SetStatus(codes.Error, "handler failed")
		h.Log.LogAttrs(ctx, slog.LevelWarn, "handling a message failed; it will be delivered again",
			append(fields(ctx, msg, topic), slog.String("handler", handler), slog.String("error", err.Error()))...)
	case h.Log.Enabled(ctx, slog.LevelDebug):
		h.Log.LogAttrs(ctx, slog.LevelDebug, "message handled",
			append(fields(ctx, msg, topic), slog.String("handler", handler), slog.Int("produced", produced))...)
	}
}

// Classify names the kind of a handler failure from a bounded set.
func Classify(err error) string {
	var panicked middleware.RecoveredPanicError
	switch {
	case errors.Is(err, events.ErrInvalidEvent):
		return ReasonInvalidEvent
	case errors.As(err, &panicked):
		return ReasonPanic
	}
	return ReasonOther
}

// fields name the message a log line is about. A message without headers
// (from the original services) has its order id read from the payload.
func fields(ctx context.Context, msg *message.Message, topic string) []slog.Attr {
	orderID := msg.Metadata.Get(events.MetaCorrelationID)
	if orderID == "" {
		var p struct {
			OrderID string `json:"order_id"`
		}
		if json.Unmarshal(msg.Payload, &p) == nil {
			orderID = p.OrderID
		}
	}
	attrs := []slog.Attr{
		slog.String("order_id", orderID),
		slog.String("event_id", msg.Metadata.Get(events.MetaEventID)),
		slog.String("topic", topic),
		slog.String("partition", msg.Metadata.Get(events.MetaReceivedPartition)),
		slog.String("offset", msg.Metadata.Get(events.MetaReceivedOffset)),
	}
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		attrs = append(attrs, slog.String("trace_id", sc.TraceID().String()))
	}
	return attrs
}
