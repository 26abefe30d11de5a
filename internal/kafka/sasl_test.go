package kafka

import (
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
)

func TestSASLMechanisms(t *testing.T) {
	_, base := mustCluster(t, kfake.EnableSASL(),
		kfake.Superuser(MechanismPlain, "plain-user", "plain-pass"),
		kfake.Superuser(MechanismSCRAMSHA256, "scram256-user", "scram256-pass"),
		kfake.Superuser(MechanismSCRAMSHA512, "scram512-user", "scram512-pass"),
	)
	cases := []struct {
		name string
		sasl SASLConfig
	}{
		{"plain", SASLConfig{MechanismPlain, "plain-user", "plain-pass"}},
		{"scram-sha-256", SASLConfig{MechanismSCRAMSHA256, "scram256-user", "scram256-pass"}},
		{"scram-sha-512", SASLConfig{MechanismSCRAMSHA512, "scram512-user", "scram512-pass"}},
	}
	for _, tc := range cases {
		t.Run(tc.name+" authenticates", func(t *testing.T) {
			cfg := base
			cfg.SASL = tc.sasl
			ctx := testCtx(t, time.Minute)
			topic := newTopic(t, ctx, cfg)
			if err := mustPublisher(t, cfg).Publish(topic, event("e1", "o1")); err != nil {
				t.Fatalf("Publish: %v", err)
			}
			_, ch := mustSubscribe(t, cfg, "sasl", topic)
			if got := receive(t, ch, 1, 30*time.Second)[0]; got.UUID != "e1" {
				t.Errorf("received %s, want e1", got.UUID)
			}
		})
		t.Run(tc.name+" rejects a wrong password", func(t *testing.T) {
			cfg := base
			cfg.SASL = tc.sasl
			cfg.SASL.Password = "wrong"
			start := time.Now()
			err := Ping(testCtx(t, 30*time.Second), cfg)
			if err == nil {
				t.Fatal("Ping with a wrong password succeeded")
			}
			if msg := err.Error(); !strings.Contains(msg, tc.sasl.Mechanism) || !strings.Contains(msg, tc.sasl.User) || strings.Contains(msg, "wrong") {
				t.Errorf("error should name the mechanism and user, never the password: %v", err)
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("failing authentication took %s", d)
			}
			if _, err := NewPublisher(cfg); err == nil || !strings.Contains(err.Error(), tc.sasl.User) {
				t.Errorf("NewPublisher with a wrong password: %v", err)
			}
		})
	}
}
