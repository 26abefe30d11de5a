package kafka

import (
	"strings"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	ok := Config{Brokers: []string{"localhost:9092"}}
	cases := []struct {
		name  string
		edit  func(*Config)
		wants []string // substrings of the error; none means valid
	}{
		{"defaults are valid", func(*Config) {}, nil},
		{"scram with credentials", func(c *Config) { c.SASL = SASLConfig{MechanismSCRAMSHA512, "u", "p"} }, nil},
		{"tls with client certificate", func(c *Config) { c.TLS = TLSConfig{Enabled: true, CertFile: "c", KeyFile: "k"} }, nil},
		{"every problem at once", func(c *Config) {
			c.Brokers = []string{"no-port"}
			c.Partitions = -1
			c.ReplicationFactor = -1
			c.PublishTimeout = -time.Second
			c.SASL = SASLConfig{Mechanism: "GSSAPI"}
			c.TLS = TLSConfig{CertFile: "c"}
		}, []string{`"no-port"`, "partitions", "replication", "publish timeout", `"GSSAPI"`, "not enabled", "together"}},
		{"no brokers", func(c *Config) { c.Brokers = nil }, []string{"no brokers"}},
		{"sasl without password", func(c *Config) { c.SASL = SASLConfig{Mechanism: MechanismPlain, User: "u"} }, []string{"user and a password"}},
		{"credentials without mechanism", func(c *Config) { c.SASL.User = "u" }, []string{"without a SASL mechanism"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := ok
			tc.edit(&c)
			err := c.Validate()
			if len(tc.wants) == 0 {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Validate accepted an invalid config")
			}
			for _, w := range tc.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestConfigDefaultsAndSecretHiding(t *testing.T) {
	c := Config{Brokers: []string{"b:1"}, SASL: SASLConfig{MechanismPlain, "alice", "s3cret"}}
	c.setDefaults()
	if c.ClientID != "pizzeria" || c.Partitions != 6 || c.ReplicationFactor != 1 || c.PublishTimeout != 5*time.Second || c.Logger == nil {
		t.Errorf("defaults not applied: %+v", c)
	}
	if s := c.String(); strings.Contains(s, "s3cret") || !strings.Contains(s, "alice") {
		t.Errorf("String() = %q", s)
	}
	if _, err := NewSubscriber(c, ""); err == nil {
		t.Error("NewSubscriber accepted an empty group")
	}
}
