package command

import "errors"

// Sentinel errors of the command side; the HTTP layer maps each to a status
// in one place. Wrapped errors add detail a person can act on.
var (
	// ErrInvalidCount: the pizza count is outside the allowed range.
	ErrInvalidCount = errors.New("invalid pizza count")
	// ErrInvalidIdempotencyKey: the Idempotency-Key header is unusable.
	ErrInvalidIdempotencyKey = errors.New("invalid idempotency key")
	// ErrIdempotencyKeyReused: the key was first used with a different
	// request; nothing was stored for this one.
	ErrIdempotencyKeyReused = errors.New("idempotency key reused with a different request")
	// ErrUnavailable: the event log did not accept the event, so the order
	// is not placed; the request may be retried (with the same
	// Idempotency-Key, if it had one).
	ErrUnavailable = errors.New("event log unavailable")
)
