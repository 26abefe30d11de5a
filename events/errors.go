package events

import "errors"

// ErrInvalidEvent is the root of every decoding failure. Such a message can
// never be handled however often it is retried: it belongs in the
// dead-letter topic.
var ErrInvalidEvent = errors.New("invalid event")

// Decoding failures, each wrapping ErrInvalidEvent.
var (
	ErrMalformed          = wrap("malformed payload or metadata")
	ErrUnknownType        = wrap("unknown event type")
	ErrUnsupportedVersion = wrap("unsupported schema_version")
	ErrMissingOrderID     = wrap("missing order_id")
	ErrTooLarge           = wrap("payload too large")
	ErrWrongTopic         = wrap("event type does not belong on this topic")
)

type invalidEvent struct{ msg string }

func (e *invalidEvent) Error() string { return e.msg }
func (e *invalidEvent) Unwrap() error { return ErrInvalidEvent }

func wrap(msg string) error { return &invalidEvent{msg: msg} }
