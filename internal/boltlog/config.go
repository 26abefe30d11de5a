package boltlog

import (
	"errors"
	"fmt"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
)

// Defaults applied by Open to zero-valued Config fields.
const (
	DefaultNackDelay            = 100 * time.Millisecond
	DefaultOpenTimeout          = 5 * time.Second
	DefaultMaxBatchRequests     = 1024
	DefaultMaxBatchBytes        = 8 << 20
	DefaultReadAhead            = 64
	DefaultQueueSize            = 1024
	DefaultOffsetCommitInterval = 50 * time.Millisecond
	DefaultPartitions           = 8
	DefaultMaxInFlight          = 512
)

// MaxPartitions is the most partitions a topic may have.
const MaxPartitions = 1024

// Config configures a Log. Zero values mean the defaults above.
type Config struct {
	// Path of the bbolt file; its parent directory is created if missing.
	Path string
	// Logger receives the log's diagnostics; nil means watermill.NopLogger.
	Logger watermill.LoggerAdapter
	// NackDelay is the wait before a nacked message is delivered again.
	NackDelay time.Duration
	// OpenTimeout bounds the wait for bbolt's file lock, so that Open fails
	// instead of hanging when another process holds the file.
	OpenTimeout time.Duration

	// MaxBatchRequests caps how many publish and offset-commit requests
	// one group-commit transaction takes.
	MaxBatchRequests int
	// MaxBatchBytes caps the encoded message bytes one transaction takes;
	// a single larger Publish still goes through, alone.
	MaxBatchBytes int
	// OffsetCommitInterval is how long acked positions may wait for an
	// append to share a transaction with before they are written alone.
	// After a crash, up to this much acked work is delivered again.
	OffsetCommitInterval time.Duration
	// QueueSize is the capacity of the writer's request queue.
	QueueSize int
	// ReadAhead is how many messages a consumer group reads per bbolt read
	// transaction and partition.
	ReadAhead int
	// MaxInFlight is how many messages of one partition a consumer group
	// may have delivered and not yet acked, counting from its committed
	// position: an offset beyond the first un-acked one by MaxInFlight or
	// more waits. It bounds the memory a group holds per partition and the
	// work delivered again after a crash. 1 delivers a partition strictly
	// one message at a time, in order even across nacks.
	MaxInFlight int

	// PartitionKey returns the key that places a published message in a
	// partition: messages with the same key share a partition and keep
	// their order in it. Nil, or an empty key, means partition 0. It must
	// be a pure function of the message; the hash over the key is part of
	// the stored layout's meaning.
	PartitionKey func(*message.Message) string

	// Partitions is the partition count a topic gets when it is first
	// written. It is stored with the topic: a topic keeps its count for
	// good, whatever later Opens configure.
	Partitions int
	// PartitionsFor, if set, overrides Partitions for the topics for which
	// it returns a positive count (e.g. 1 for a topic whose messages must
	// keep one total order). It must be a pure function of the topic.
	PartitionsFor func(topic string) int
}

func (c *Config) setDefaults() {
	if c.Logger == nil {
		c.Logger = watermill.NopLogger{}
	}
	if c.NackDelay == 0 {
		c.NackDelay = DefaultNackDelay
	}
	if c.OpenTimeout == 0 {
		c.OpenTimeout = DefaultOpenTimeout
	}
	if c.MaxBatchRequests == 0 {
		c.MaxBatchRequests = DefaultMaxBatchRequests
	}
	if c.MaxBatchBytes == 0 {
		c.MaxBatchBytes = DefaultMaxBatchBytes
	}
	if c.OffsetCommitInterval == 0 {
		c.OffsetCommitInterval = DefaultOffsetCommitInterval
	}
	if c.QueueSize == 0 {
		c.QueueSize = DefaultQueueSize
	}
	if c.ReadAhead == 0 {
		c.ReadAhead = DefaultReadAhead
	}
	if c.Partitions == 0 {
		c.Partitions = DefaultPartitions
	}
	if c.MaxInFlight == 0 {
		c.MaxInFlight = DefaultMaxInFlight
	}
}

// partitionsFor is the partition count a new topic gets.
func (c *Config) partitionsFor(topic string) (int, error) {
	n := c.Partitions
	if c.PartitionsFor != nil {
		if m := c.PartitionsFor(topic); m > 0 {
			n = m
		}
	}
	if n < 1 || n > MaxPartitions {
		return 0, fmt.Errorf("boltlog: topic %q: %d partitions, want 1 to %d", topic, n, MaxPartitions)
	}
	return n, nil
}

// Validate reports every problem with the configuration at once.
func (c Config) Validate() error {
	var errs []error
	if c.Path == "" {
		errs = append(errs, errors.New("boltlog: Path is required"))
	}
	if c.NackDelay < 0 {
		errs = append(errs, errors.New("boltlog: NackDelay must not be negative"))
	}
	if c.OpenTimeout < 0 {
		errs = append(errs, errors.New("boltlog: OpenTimeout must not be negative"))
	}
	if c.MaxBatchRequests < 0 {
		errs = append(errs, errors.New("boltlog: MaxBatchRequests must not be negative"))
	}
	if c.MaxBatchBytes < 0 {
		errs = append(errs, errors.New("boltlog: MaxBatchBytes must not be negative"))
	}
	if c.OffsetCommitInterval < 0 {
		errs = append(errs, errors.New("boltlog: OffsetCommitInterval must not be negative"))
	}
	if c.QueueSize < 0 {
		errs = append(errs, errors.New("boltlog: QueueSize must not be negative"))
	}
	if c.ReadAhead < 0 {
		errs = append(errs, errors.New("boltlog: ReadAhead must not be negative"))
	}
	if c.MaxInFlight < 0 {
		errs = append(errs, errors.New("boltlog: MaxInFlight must not be negative"))
	}
	if c.Partitions < 0 || c.Partitions > MaxPartitions {
		errs = append(errs, fmt.Errorf("boltlog: Partitions must be between 1 and %d (0 means %d)", MaxPartitions, DefaultPartitions))
	}
	return errors.Join(errs...)
}
