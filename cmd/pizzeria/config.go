package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/pizzeria/pizzeria/command"
	"github.com/pizzeria/pizzeria/internal/kafka"
)

// config is every setting, each a flag with an environment twin. A flag
// given on the command line wins over its environment variable.
type config struct {
	HTTPAddr        string
	DataDir         string
	Broker          string
	TopicPrefix     string
	AdminToken      string
	MaxCount        int
	NodeID          string
	ShutdownTimeout time.Duration
	ReadyMaxLag     int64
	LogLevel        string
	LogFormat       string
	OTelEndpoint    string
	Kafka           kafka.Config

	finish func() error // turns raw flag values into the fields above

	// tracerProvider, when set (by tests), receives the spans instead of
	// an OTLP exporter.
	tracerProvider trace.TracerProvider
}

// env reads the environment; tests substitute their own.
type env func(string) string

func (c *config) register(fs *flag.FlagSet, getenv env) {
	str := func(p *string, name, key, def, usage string) {
		if v := getenv(key); v != "" {
			def = v
		}
		fs.StringVar(p, name, def, fmt.Sprintf("%s (env %s)", usage, key))
	}
	num := func(p *int, name, key string, def int, usage string) {
		if v, err := strconv.Atoi(getenv(key)); err == nil {
			def = v
		}
		fs.IntVar(p, name, def, fmt.Sprintf("%s (env %s)", usage, key))
	}
	str(&c.HTTPAddr, "http-addr", "PIZZERIA_HTTP_ADDR", ":8080", "HTTP listen address")
	str(&c.DataDir, "data-dir", "PIZZERIA_DATA_DIR", "./data", "directory for the embedded log, views and state")
	str(&c.Broker, "broker", "PIZZERIA_BROKER", "embedded", "event log: embedded (bbolt file in --data-dir) or kafka")
	str(&c.TopicPrefix, "topic-prefix", "PIZZERIA_TOPIC_PREFIX", "", "prefix for every topic name")
	str(&c.AdminToken, "admin-token", "PIZZERIA_ADMIN_TOKEN", "", "bearer token for /admin endpoints; admin is off without one")
	num(&c.MaxCount, "max-count", "PIZZERIA_MAX_COUNT", command.DefaultMaxCount, "most pizzas one order may have")
	str(&c.NodeID, "node-id", "PIZZERIA_NODE_ID", "", "query node name, part of its consumer group (default: generated once, kept in --data-dir)")
	str(&c.LogLevel, "log-level", "PIZZERIA_LOG_LEVEL", "info", "debug, info, warn or error")
	str(&c.LogFormat, "log-format", "PIZZERIA_LOG_FORMAT", "text", "text or json")
	str(&c.OTelEndpoint, "otel-endpoint", "PIZZERIA_OTEL_ENDPOINT", "", "OTLP/HTTP endpoint for traces, like http://127.0.0.1:4318; tracing is off without it or OTEL_EXPORTER_OTLP_ENDPOINT")
	shutdown := "15s"
	str(&shutdown, "shutdown-timeout", "PIZZERIA_SHUTDOWN_TIMEOUT", shutdown, "how long a stop may take to drain work")
	lag := 1000
	num(&lag, "ready-max-lag", "PIZZERIA_READY_MAX_LAG", lag, "events the views may lag behind the log and still be ready")

	var brokers, mechanism string
	str(&brokers, "kafka-brokers", "PIZZERIA_KAFKA_BROKERS", "127.0.0.1:9092", "comma-separated Kafka bootstrap servers")
	str(&mechanism, "kafka-sasl-mechanism", "PIZZERIA_KAFKA_SASL_MECHANISM", "", "PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512; empty for none")
	str(&c.Kafka.SASL.User, "kafka-sasl-user", "PIZZERIA_KAFKA_SASL_USER", "", "SASL user")
	str(&c.Kafka.SASL.Password, "kafka-sasl-password", "PIZZERIA_KAFKA_SASL_PASSWORD", "", "SASL password (prefer the environment variable)")
	str(&c.Kafka.TLS.CAFile, "kafka-tls-ca", "PIZZERIA_KAFKA_TLS_CA", "", "CA bundle for the brokers' certificates (implies TLS)")
	str(&c.Kafka.TLS.CertFile, "kafka-tls-cert", "PIZZERIA_KAFKA_TLS_CERT", "", "client certificate (implies TLS)")
	str(&c.Kafka.TLS.KeyFile, "kafka-tls-key", "PIZZERIA_KAFKA_TLS_KEY", "", "client key")
	fs.BoolVar(&c.Kafka.TLS.Enabled, "kafka-tls", getenv("PIZZERIA_KAFKA_TLS") == "true", "connect to the brokers over TLS (env PIZZERIA_KAFKA_TLS)")
	parts, repl := int(kafka.DefaultPartitions), int(kafka.DefaultReplicationFactor)
	num(&parts, "kafka-partitions", "PIZZERIA_KAFKA_PARTITIONS", parts, "partitions of topics created at start-up")
	num(&repl, "kafka-replication-factor", "PIZZERIA_KAFKA_REPLICATION_FACTOR", repl, "replication factor of topics created at start-up")

	c.finish = func() error {
		var errs []error
		if d, err := time.ParseDuration(shutdown); err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("--shutdown-timeout %q: want a positive duration like 15s", shutdown))
		} else {
			c.ShutdownTimeout = d
		}
		c.ReadyMaxLag = int64(lag)
		c.Kafka.Brokers = splitList(brokers)
		c.Kafka.SASL.Mechanism = strings.ToUpper(mechanism)
		c.Kafka.Partitions, c.Kafka.ReplicationFactor = int32(parts), int16(repl)
		if c.Kafka.TLS.CAFile != "" || c.Kafka.TLS.CertFile != "" {
			c.Kafka.TLS.Enabled = true
		}
		return errors.Join(errs...)
	}
}

// validate joins every problem with the settings into one error.
func (c *config) validate() error {
	errs := []error{c.finish()}
	switch c.Broker {
	case "embedded":
	case "kafka":
		if err := c.Kafka.Validate(); err != nil {
			errs = append(errs, err)
		}
	default:
		errs = append(errs, fmt.Errorf("--broker %q: want embedded or kafka", c.Broker))
	}
	if c.DataDir == "" {
		errs = append(errs, errors.New("--data-dir must not be empty"))
	}
	if c.MaxCount < 1 || c.MaxCount > 10_000 {
		errs = append(errs, fmt.Errorf("--max-count %d: want 1..10000", c.MaxCount))
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("--log-level %q: want debug, info, warn or error", c.LogLevel))
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		errs = append(errs, fmt.Errorf("--log-format %q: want text or json", c.LogFormat))
	}
	return errors.Join(errs...)
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func osEnv(key string) string { return os.Getenv(key) }
