package boltlog

import "errors"

// Errors returned by the log. Callers test them with errors.Is.
var (
	// ErrClosed is returned by every operation on a closed Log, Publisher
	// or Subscriber.
	ErrClosed = errors.New("boltlog: closed")
	// ErrInvalidTopic is returned for an empty topic name or one longer
	// than bbolt's key limit.
	ErrInvalidTopic = errors.New("boltlog: invalid topic name")
	// ErrInvalidGroup is returned for an empty consumer group name or one
	// longer than bbolt's key limit.
	ErrInvalidGroup = errors.New("boltlog: invalid consumer group name")
	// ErrCorruptRecord is returned when a stored message cannot be decoded.
	ErrCorruptRecord = errors.New("boltlog: corrupt record")
	// ErrUnsupportedFormat is returned by Open for a file written by a newer
	// version of the log.
	ErrUnsupportedFormat = errors.New("boltlog: unsupported file format")
)
