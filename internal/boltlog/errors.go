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
	// ErrInvalidPartition is returned for a partition number the topic
	// does not have.
	ErrInvalidPartition = errors.New("boltlog: invalid partition")
	// ErrCorruptRecord is returned when a stored record or batch fails its
	// checksum or cannot be decoded. The error names the file, topic,
	// partition and offset.
	ErrCorruptRecord = errors.New("boltlog: corrupt record")
	// ErrCorruptFile is returned when bbolt cannot read the file itself: it
	// is truncated, or its pages hold garbage.
	ErrCorruptFile = errors.New("boltlog: damaged file")
	// ErrUnsupportedFormat is returned by Open for a file whose layout this
	// version does not read: one written by a newer version, or by an
	// earlier one with single-partition topics.
	ErrUnsupportedFormat = errors.New("boltlog: unsupported file format")
)
