package main

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/spf13/pflag"

	"github.com/pizzeria/pizzeria/api"
	"github.com/pizzeria/pizzeria/command"
	"github.com/pizzeria/pizzeria/internal/boltstore"
	"github.com/pizzeria/pizzeria/internal/kafka"
)

// config is every setting, each a flag with an environment twin. A flag
// given on the command line wins over its environment variable. Defaults
// are set in one place: the registration below.
type config struct {
	HTTPAddr        string
	DataDir         string
	Broker          string
	TopicPrefix     string
	AdminToken      string
	MaxCount        int
	NodeID          string
	PublicQueryURL  string
	ShutdownTimeout time.Duration
	ReadyMaxLag     int64
	// IdempotencyWindow is how long Idempotency-Keys are remembered.
	IdempotencyWindow time.Duration
	// DeadLetterRetention is how long dead letters are kept; 0 keeps them.
	DeadLetterRetention time.Duration
	// MaxConnsPerClient caps the HTTP connections one address may hold.
	MaxConnsPerClient int
	// OTelEndpoint, when set, exports traces over OTLP/HTTP.
	OTelEndpoint string
	// tracerProvider, when set (by tests), receives the spans instead of
	// an exporter.
	tracerProvider trace.TracerProvider
	LogLevel       string
	LogFormat      string
	Kafka          kafka.Config
}

// DefaultDeadLetterRetention is how long dead letters are kept unless
// configured otherwise: a week, Kafka's own default retention.
const DefaultDeadLetterRetention = 7 * 24 * time.Hour

// env reads the environment; tests substitute their own.
type env func(string) string

func osEnv(key string) string { return os.Getenv(key) }

// settingSet is a set of settings that commands take together, so that each
// command offers (and its help lists) only the flags it reads.
type settingSet uint

const (
	setLogging  settingSet = 1 << iota // how the process logs
	setEventLog                        // where the event log is: embedded or Kafka
	setServing                         // a long-running role serving HTTP
	setCommands                        // a role that takes orders
	setViews                           // a role that serves the views
	setAll      = setLogging | setEventLog | setServing | setCommands | setViews
)

// Flag annotations read by applyEnv and the secret check.
const (
	annotationEnv    = "pizzeria_env"
	annotationSecret = "pizzeria_secret"
)

// register adds the settings of groups g to fs, each bound to its field of
// c and set to its default.
func (c *config) register(fs *pflag.FlagSet, g settingSet) {
	add := func(in settingSet, name, key, usage string, bind func(name, usage string)) {
		if g&in == 0 {
			return
		}
		bind(name, fmt.Sprintf("%s (env %s)", usage, key))
		_ = fs.SetAnnotation(name, annotationEnv, []string{key})
	}
	secret := func(name string) {
		if f := fs.Lookup(name); f != nil {
			_ = fs.SetAnnotation(name, annotationSecret, []string{"true"})
		}
	}
	str := func(p *string, def string) func(string, string) {
		return func(name, usage string) { fs.StringVar(p, name, def, usage) }
	}

	add(setLogging, "log-level", "PIZZERIA_LOG_LEVEL", "debug, info, warn or error", str(&c.LogLevel, "info"))
	add(setLogging, "log-format", "PIZZERIA_LOG_FORMAT", "text or json", str(&c.LogFormat, "text"))
	add(setServing, "otel-endpoint", "PIZZERIA_OTEL_ENDPOINT", "OTLP/HTTP endpoint for traces, like http://127.0.0.1:4318; tracing is off without it or OTEL_EXPORTER_OTLP_ENDPOINT", str(&c.OTelEndpoint, ""))

	add(setEventLog, "data-dir", "PIZZERIA_DATA_DIR", "directory for the embedded log, views and state", str(&c.DataDir, "./data"))
	add(setEventLog, "broker", "PIZZERIA_BROKER", "event log: embedded (bbolt file in --data-dir) or kafka", str(&c.Broker, "embedded"))
	add(setEventLog, "topic-prefix", "PIZZERIA_TOPIC_PREFIX", "prefix for every topic and consumer group name", str(&c.TopicPrefix, ""))
	add(setEventLog, "dead-letter-retention", "PIZZERIA_DEAD_LETTER_RETENTION", "how long dead letters are kept, then deleted (0 keeps them); the event log itself is always kept", func(name, usage string) {
		fs.DurationVar(&c.DeadLetterRetention, name, DefaultDeadLetterRetention, usage)
	})
	c.registerKafka(fs, add, str)
	secret("kafka-sasl-password")

	add(setServing, "http-addr", "PIZZERIA_HTTP_ADDR", "HTTP listen address", str(&c.HTTPAddr, ":8080"))
	add(setServing, "shutdown-timeout", "PIZZERIA_SHUTDOWN_TIMEOUT", "how long a stop may take to drain work", func(name, usage string) {
		fs.DurationVar(&c.ShutdownTimeout, name, 15*time.Second, usage)
	})
	add(setServing, "ready-max-lag", "PIZZERIA_READY_MAX_LAG", "events the views may lag behind the log and still be ready", func(name, usage string) {
		fs.Int64Var(&c.ReadyMaxLag, name, 1000, usage)
	})
	add(setServing, "max-conns-per-client", "PIZZERIA_MAX_CONNS_PER_CLIENT", "HTTP connections one client address may hold; raise it behind a proxy", func(name, usage string) {
		fs.IntVar(&c.MaxConnsPerClient, name, api.DefaultLimits().MaxConnsPerClient, usage)
	})

	add(setCommands, "max-count", "PIZZERIA_MAX_COUNT", "most pizzas one order may have", func(name, usage string) {
		fs.IntVar(&c.MaxCount, name, command.DefaultMaxCount, usage)
	})
	add(setCommands, "idempotency-window", "PIZZERIA_IDEMPOTENCY_WINDOW", "how long an Idempotency-Key is remembered", func(name, usage string) {
		fs.DurationVar(&c.IdempotencyWindow, name, boltstore.DefaultKeyWindow, usage)
	})
	add(setCommands, "public-query-url", "PIZZERIA_PUBLIC_QUERY_URL",
		"base URL where clients read orders, for the Location header (default: relative, this node)", str(&c.PublicQueryURL, ""))

	add(setViews, "node-id", "PIZZERIA_NODE_ID", "query node name, part of its consumer group (default: generated once, kept in --data-dir)", str(&c.NodeID, ""))
	add(setViews, "admin-token", "PIZZERIA_ADMIN_TOKEN", "bearer token for /admin endpoints; admin is off without one", str(&c.AdminToken, ""))
	secret("admin-token")
}

func (c *config) registerKafka(fs *pflag.FlagSet, add func(settingSet, string, string, string, func(string, string)), str func(*string, string) func(string, string)) {
	k := &c.Kafka
	add(setEventLog, "kafka-brokers", "PIZZERIA_KAFKA_BROKERS", "comma-separated Kafka bootstrap servers", func(name, usage string) {
		fs.StringSliceVar(&k.Brokers, name, []string{"127.0.0.1:9092"}, usage)
	})
	add(setEventLog, "kafka-instance-id", "PIZZERIA_KAFKA_INSTANCE_ID", "static consumer-group member id, unique per process; a restart with the same id keeps its partitions", str(&k.InstanceID, ""))
	add(setEventLog, "kafka-sasl-mechanism", "PIZZERIA_KAFKA_SASL_MECHANISM", "PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512; empty for none", str(&k.SASL.Mechanism, ""))
	add(setEventLog, "kafka-sasl-user", "PIZZERIA_KAFKA_SASL_USER", "SASL user", str(&k.SASL.User, ""))
	add(setEventLog, "kafka-sasl-password", "PIZZERIA_KAFKA_SASL_PASSWORD", "SASL password (prefer the environment variable)", str(&k.SASL.Password, ""))
	add(setEventLog, "kafka-tls", "PIZZERIA_KAFKA_TLS", "connect to the brokers over TLS", func(name, usage string) {
		fs.BoolVar(&k.TLS.Enabled, name, false, usage)
	})
	add(setEventLog, "kafka-tls-ca", "PIZZERIA_KAFKA_TLS_CA", "CA bundle for the brokers' certificates (implies TLS)", str(&k.TLS.CAFile, ""))
	add(setEventLog, "kafka-tls-cert", "PIZZERIA_KAFKA_TLS_CERT", "client certificate (implies TLS)", str(&k.TLS.CertFile, ""))
	add(setEventLog, "kafka-tls-key", "PIZZERIA_KAFKA_TLS_KEY", "client key", str(&k.TLS.KeyFile, ""))
	add(setEventLog, "kafka-partitions", "PIZZERIA_KAFKA_PARTITIONS", "partitions of topics created at start-up", func(name, usage string) {
		fs.Int32Var(&k.Partitions, name, kafka.DefaultPartitions, usage)
	})
	add(setEventLog, "kafka-replication-factor", "PIZZERIA_KAFKA_REPLICATION_FACTOR", "replication factor of topics created at start-up", func(name, usage string) {
		fs.Int16Var(&k.ReplicationFactor, name, kafka.DefaultReplicationFactor, usage)
	})
}

// defaultConfig is every setting at its default, whichever flags a command
// offers.
func defaultConfig() config {
	var c config
	c.register(pflag.NewFlagSet("defaults", pflag.ContinueOnError), setAll)
	return c
}

// normalize derives what the settings imply, once they are all read.
func (c *config) normalize() {
	c.Kafka.Brokers = splitList(strings.Join(c.Kafka.Brokers, ","))
	c.Kafka.SASL.Mechanism = strings.ToUpper(c.Kafka.SASL.Mechanism)
	if c.Kafka.TLS.CAFile != "" || c.Kafka.TLS.CertFile != "" {
		c.Kafka.TLS.Enabled = true
	}
}

// validate joins every problem with the settings into one error.
func (c *config) validate() error {
	c.normalize()
	var errs []error
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
	if c.ShutdownTimeout <= 0 {
		errs = append(errs, fmt.Errorf("--shutdown-timeout %s: want a positive duration like 15s", c.ShutdownTimeout))
	}
	if c.ReadyMaxLag < 0 {
		errs = append(errs, fmt.Errorf("--ready-max-lag %d: must not be negative", c.ReadyMaxLag))
	}
	if c.IdempotencyWindow <= 0 {
		errs = append(errs, fmt.Errorf("--idempotency-window %s: want a positive duration like 24h", c.IdempotencyWindow))
	}
	if c.DeadLetterRetention < 0 {
		errs = append(errs, fmt.Errorf("--dead-letter-retention %s: want a duration like 168h, or 0 to keep dead letters", c.DeadLetterRetention))
	}
	if c.MaxConnsPerClient < 1 {
		errs = append(errs, fmt.Errorf("--max-conns-per-client %d: want at least 1", c.MaxConnsPerClient))
	}
	if c.PublicQueryURL != "" {
		if u, err := url.Parse(c.PublicQueryURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			errs = append(errs, fmt.Errorf("--public-query-url %q: want an absolute http(s) URL such as http://query.example:8081", c.PublicQueryURL))
		}
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
