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

// metaFailure is where the attempt middleware notes the class of the last
// failure; the poison queue carries it into the dead letter.
const metaFailure = "failure_class"

// Handlers is router middleware for every handler: a span per message,
// continuing the trace the message carries; a log line per message (debug)
// and per failed attempt (warn), each naming the order, the event and
// where it was read from; and one warn line, a metric and a callback per
// message sent to the dead-letter topic.
type Handlers struct {
	Tracing *Tracing
	Metrics *Metrics // may be nil
	Log     *slog.Logger
	// OnDeadLetter, if set, is told of each dead letter (topic it was read
	// from, the reason's class).
	OnDeadLetter func(topic, reason string)
}

// Outer is placed outermost, before the poison queue.
func (h *Handlers) Outer(next message.HandlerFunc) message.HandlerFunc {
	return func(msg *message.Message) ([]*message.Message, error) {
		topic := message.SubscribeTopicFromCtx(msg.Context())
		handler := message.HandlerNameFromCtx(msg.Context())
		ctx, span := h.Tracing.tracer.Start(h.Tracing.extract(msg), handler, trace.WithSpanKind(trace.SpanKindConsumer))
		defer span.End()
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
		poisonedBefore := msg.Metadata.Get(middleware.ReasonForPoisonedKey) != ""
		out, err := next(msg)
		for _, o := range out {
			o.SetContext(ctx) // their appends are children of this span
		}
		if err != nil {
			span.RecordError(err)
			span.SetStatus(codes.Error, "handler failed")
		}
		if reason := msg.Metadata.Get(middleware.ReasonForPoisonedKey); err == nil && reason != "" && !poisonedBefore {
			class := msg.Metadata.Get(metaFailure)
			if class == "" {
				class = ReasonOther
			}
			span.SetStatus(codes.Error, "dead-lettered")
			h.Log.LogAttrs(ctx, slog.LevelWarn, "message sent to the dead-letter topic",
				append(fields(ctx, msg, topic), slog.String("handler", handler), slog.String("reason", reason), slog.String("reason_class", class))...)
			if h.Metrics != nil {
				h.Metrics.deadLetters.WithLabelValues(class).Inc()
			}
			if h.OnDeadLetter != nil {
				h.OnDeadLetter(topic, class)
			}
		} else if err == nil && h.Log.Enabled(ctx, slog.LevelDebug) {
			h.Log.LogAttrs(ctx, slog.LevelDebug, "message handled",
				append(fields(ctx, msg, topic), slog.String("handler", handler), slog.Int("produced", len(out)))...)
		}
		return out, err
	}
}

// Attempt is placed inside the retry middleware (and outside the
// recoverer): it logs each failed attempt and notes its class.
func (h *Handlers) Attempt(next message.HandlerFunc) message.HandlerFunc {
	return func(msg *message.Message) ([]*message.Message, error) {
		out, err := next(msg)
		if err != nil {
			msg.Metadata.Set(metaFailure, Classify(err))
			ctx := msg.Context()
			h.Log.LogAttrs(ctx, slog.LevelWarn, "handling a message failed",
				append(fields(ctx, msg, message.SubscribeTopicFromCtx(ctx)),
					slog.String("handler", message.HandlerNameFromCtx(ctx)), slog.String("error", err.Error()))...)
		}
		return out, err
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
