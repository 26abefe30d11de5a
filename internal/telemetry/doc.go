// Package telemetry makes the kitchen observable: OpenTelemetry traces
// carried across the log in message metadata (W3C trace context), the
// Prometheus metrics people alert on, and log lines that name the order
// and event they are about.
//
// Tracing is off unless an OTLP endpoint is configured; with it off the
// middleware still extracts and injects trace context, at the cost of a
// no-op span, so a message that arrives with a trace passes it on.
package telemetry
