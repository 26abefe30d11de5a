package kafka

import (
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
)

// SASL mechanisms Config.SASL.Mechanism accepts. The empty mechanism means no
// authentication.
const (
	MechanismPlain       = "PLAIN"
	MechanismSCRAMSHA256 = "SCRAM-SHA-256"
	MechanismSCRAMSHA512 = "SCRAM-SHA-512"
)

// Defaults applied by setDefaults to zero-valued fields.
const (
	DefaultClientID          = "pizzeria"
	DefaultPartitions        = 6
	DefaultReplicationFactor = 1
	DefaultPublishTimeout    = 5 * time.Second
	DefaultWindow            = 512
	DefaultCommitInterval    = 200 * time.Millisecond
	DefaultPartitionMetadata = "received_partition"
	DefaultOffsetMetadata    = "received_offset"
)

// Config says how to reach a Kafka cluster and how to create topics on it.
// The zero value of every field but Brokers means "use the default".
type Config struct {
	// Brokers are the bootstrap addresses, host:port each.
	Brokers []string
	// ClientID identifies this process in broker logs and quotas.
	ClientID string
	// Partitions is the partition count of topics EnsureTopics creates.
	Partitions int32
	// ReplicationFactor is the replication factor of topics EnsureTopics creates.
	ReplicationFactor int16
	// Retention is the retention.ms of topics EnsureTopics creates: records
	// older than this are deleted by the broker. Zero (or less) keeps them
	// for ever (retention.ms -1), whatever the broker's default: an event
	// log is the source of truth.
	Retention time.Duration
	// PublishTimeout bounds one Publish call: against an unreachable or
	// unresponsive cluster Publish fails within about this long.
	PublishTimeout time.Duration
	SASL           SASLConfig
	TLS            TLSConfig
	// PartitionKey returns the record key of an outgoing message. Records
	// with the same key land on the same partition and keep their order;
	// nil, or an empty key, spreads messages over the partitions.
	PartitionKey func(*message.Message) string
	// PartitionMetadata and OffsetMetadata name the metadata in which a
	// received message carries the partition and offset it was read from.
	// They never travel as record headers.
	PartitionMetadata string
	OffsetMetadata    string
	// Window bounds the messages of one partition a subscriber has handed
	// out: only the Window offsets starting at the first message not yet
	// acked are eligible, so at most Window are in flight. 1 gives one
	// message in flight per partition and delivery in offset order.
	Window int
	// CommitInterval is how often a subscriber commits the acked prefixes of
	// its partitions. It also commits when partitions are revoked and when
	// it closes.
	CommitInterval time.Duration
	// InstanceID, when set, makes subscribers static members of their
	// consumer groups (KIP-345): a process restarted with the same id takes
	// its partitions back without a rebalance. Every replica needs its own
	// id; two live processes with the same id fence each other. Empty means
	// dynamic membership.
	InstanceID string
	// Logger receives the transport's logs; nil discards them.
	Logger watermill.LoggerAdapter
}

// SASLConfig selects SASL authentication. Mechanism is "" (none), "PLAIN",
// "SCRAM-SHA-256" or "SCRAM-SHA-512".
type SASLConfig struct {
	Mechanism string
	User      string
	Password  string
}

// TLSConfig enables TLS to the brokers. CAFile replaces the system roots;
// CertFile and KeyFile, given together, present a client certificate.
type TLSConfig struct {
	Enabled            bool
	CAFile             string
	CertFile           string
	KeyFile            string
	InsecureSkipVerify bool
}

func (c *Config) setDefaults() {
	if c.ClientID == "" {
		c.ClientID = DefaultClientID
	}
	if c.Partitions == 0 {
		c.Partitions = DefaultPartitions
	}
	if c.ReplicationFactor == 0 {
		c.ReplicationFactor = DefaultReplicationFactor
	}
	if c.PublishTimeout == 0 {
		c.PublishTimeout = DefaultPublishTimeout
	}
	if c.Logger == nil {
		c.Logger = watermill.NopLogger{}
	}
	if c.PartitionMetadata == "" {
		c.PartitionMetadata = DefaultPartitionMetadata
	}
	if c.OffsetMetadata == "" {
		c.OffsetMetadata = DefaultOffsetMetadata
	}
	if c.Window == 0 {
		c.Window = DefaultWindow
	}
	if c.CommitInterval == 0 {
		c.CommitInterval = DefaultCommitInterval
	}
}

// Validate reports every problem with c at once. Zero values that setDefaults
// fills in are valid.
func (c Config) Validate() error {
	var errs []error
	if len(c.Brokers) == 0 {
		errs = append(errs, errors.New("kafka: no brokers given"))
	}
	for _, b := range c.Brokers {
		if _, port, err := net.SplitHostPort(b); err != nil || port == "" {
			errs = append(errs, fmt.Errorf("kafka: broker %q is not host:port", b))
		}
	}
	if c.Partitions < 0 {
		errs = append(errs, fmt.Errorf("kafka: partitions must be positive, got %d", c.Partitions))
	}
	if c.ReplicationFactor < 0 {
		errs = append(errs, fmt.Errorf("kafka: replication factor must be positive, got %d", c.ReplicationFactor))
	}
	if c.PublishTimeout < 0 {
		errs = append(errs, fmt.Errorf("kafka: publish timeout must be positive, got %s", c.PublishTimeout))
	}
	if c.Window < 0 {
		errs = append(errs, fmt.Errorf("kafka: window must be positive, got %d", c.Window))
	}
	if c.CommitInterval < 0 {
		errs = append(errs, fmt.Errorf("kafka: commit interval must be positive, got %s", c.CommitInterval))
	}
	errs = append(errs, c.SASL.validate(), c.TLS.validate())
	return errors.Join(errs...)
}

func (s SASLConfig) validate() error {
	switch s.Mechanism {
	case "":
		if s.User != "" || s.Password != "" {
			return errors.New("kafka: SASL user or password given without a SASL mechanism")
		}
		return nil
	case MechanismPlain, MechanismSCRAMSHA256, MechanismSCRAMSHA512:
		if s.User == "" || s.Password == "" {
			return fmt.Errorf("kafka: SASL %s needs a user and a password", s.Mechanism)
		}
		return nil
	default:
		return fmt.Errorf("kafka: unknown SASL mechanism %q (want %s, %s or %s)",
			s.Mechanism, MechanismPlain, MechanismSCRAMSHA256, MechanismSCRAMSHA512)
	}
}

func (t TLSConfig) validate() error {
	var errs []error
	if !t.Enabled && (t.CAFile != "" || t.CertFile != "" || t.KeyFile != "" || t.InsecureSkipVerify) {
		errs = append(errs, errors.New("kafka: TLS settings given but TLS is not enabled"))
	}
	if (t.CertFile == "") != (t.KeyFile == "") {
		errs = append(errs, errors.New("kafka: TLS client certificate and key must be given together"))
	}
	return errors.Join(errs...)
}

// String names the cluster and identity for error messages; never the password.
func (c Config) String() string {
	s := fmt.Sprintf("brokers %v", c.Brokers)
	if c.TLS.Enabled {
		s += " over TLS"
	}
	if c.SASL.Mechanism != "" {
		s += fmt.Sprintf(" as %s user %q (check the credentials if authentication failed)", c.SASL.Mechanism, c.SASL.User)
	}
	return s
}
