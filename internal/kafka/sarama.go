package kafka

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"time"

	"github.com/IBM/sarama"
)

// clientConfig is the sarama configuration every client shares: identity,
// protocol version, security and bounded network waits. Topics are never
// created implicitly: EnsureTopics creates them with the configured partition
// count, so that keys hash onto the partitions everyone expects.
func clientConfig(c Config) (*sarama.Config, error) {
	sc := sarama.NewConfig()
	sc.ClientID = c.ClientID
	// The newest Kafka version sarama may assume. Sarama asks each broker
	// which API versions it supports (ApiVersions) and clamps every request
	// to them, so this still works with older brokers, while Kafka 4.x, which
	// dropped the pre-2.1 protocol versions, gets requests it accepts.
	sc.Version = sarama.V4_0_0_0
	sc.Metadata.AllowAutoTopicCreation = false
	sc.Net.DialTimeout = 10 * time.Second
	sc.Admin.Timeout = 10 * time.Second
	if err := setSecurity(sc, c); err != nil {
		return nil, err
	}
	return sc, nil
}

// producerConfig makes sarama give up on a message soon after PublishTimeout:
// each network wait is a fraction of it and retries are few. Against a
// refusing cluster that alone fails a send within PublishTimeout; against an
// unresponsive one the waits add up, so boundedPublisher enforces the bound.
//
// Partitioner: the original Python services produce with confluent-kafka,
// whose librdkafka default partitioner is consistent_random, the unsigned
// CRC-32 of the key modulo the partition count. sarama's consistent CRC hash
// partitioner computes the same, so an order's events land on the partition
// the Python services use for that order id.
func producerConfig(c Config) (*sarama.Config, error) {
	sc, err := clientConfig(c)
	if err != nil {
		return nil, err
	}
	t := c.PublishTimeout
	sc.Producer.Idempotent = true
	sc.Producer.RequiredAcks = sarama.WaitForAll
	sc.Net.MaxOpenRequests = 1 // required by idempotence; keeps order on retry
	sc.Producer.Return.Successes = true
	sc.Producer.Return.Errors = true
	sc.Producer.Partitioner = sarama.NewConsistentCRCHashPartitioner
	sc.Producer.Timeout = t / 2 // how long the leader may wait for replicas
	sc.Producer.Retry.Max = 2
	sc.Producer.Retry.Backoff = t / 10
	sc.Net.DialTimeout = t / 4
	sc.Net.ReadTimeout = t / 2
	sc.Net.WriteTimeout = t / 2
	sc.Metadata.Retry.Max = 1
	sc.Metadata.Retry.Backoff = t / 10
	sc.Metadata.Timeout = t / 2
	// After a failed send the idempotent producer bumps its epoch; bound
	// those retries too.
	sc.Producer.Transaction.Retry.Max = 2
	sc.Producer.Transaction.Retry.Backoff = t / 10
	return sc, nil
}

// consumerConfig starts new consumer groups at the oldest offset, so events
// published before a role first joined are not skipped, and commits marked
// offsets every second and on close.
func consumerConfig(c Config) (*sarama.Config, error) {
	sc, err := clientConfig(c)
	if err != nil {
		return nil, err
	}
	sc.Consumer.Return.Errors = true
	sc.Consumer.Offsets.Initial = sarama.OffsetOldest
	sc.Consumer.Offsets.AutoCommit.Enable = true
	sc.Consumer.Offsets.AutoCommit.Interval = time.Second
	sc.Consumer.Group.Session.Timeout = 10 * time.Second
	sc.Consumer.Group.Heartbeat.Interval = time.Second
	// Handlers are short, so members rejoin quickly; a short rebalance
	// timeout keeps scaling out and restarts from stalling a group.
	sc.Consumer.Group.Rebalance.Timeout = 10 * time.Second
	sc.Consumer.Group.Rebalance.GroupStrategies = []sarama.BalanceStrategy{sarama.NewBalanceStrategySticky()}
	return sc, nil
}

func setSecurity(sc *sarama.Config, c Config) error {
	if c.TLS.Enabled {
		tc, err := c.TLS.load()
		if err != nil {
			return err
		}
		sc.Net.TLS.Enable = true
		sc.Net.TLS.Config = tc
	}
	if c.SASL.Mechanism == "" {
		return nil
	}
	sc.Net.SASL.Enable = true
	sc.Net.SASL.Handshake = true
	sc.Net.SASL.User = c.SASL.User
	sc.Net.SASL.Password = c.SASL.Password
	sc.Net.SASL.Mechanism = sarama.SASLMechanism(c.SASL.Mechanism)
	switch c.SASL.Mechanism {
	case MechanismSCRAMSHA256:
		sc.Net.SASL.SCRAMClientGeneratorFunc = newSCRAMClient(false)
	case MechanismSCRAMSHA512:
		sc.Net.SASL.SCRAMClientGeneratorFunc = newSCRAMClient(true)
	}
	return nil
}

func (t TLSConfig) load() (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: t.InsecureSkipVerify} // #nosec G402 -- opt-in for test clusters
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("kafka: read TLS CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("kafka: TLS CA file %s holds no PEM certificate", t.CAFile)
		}
		tc.RootCAs = pool
	}
	if t.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("kafka: load TLS client certificate: %w", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}
