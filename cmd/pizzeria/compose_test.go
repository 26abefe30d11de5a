package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"
)

type composeFile struct {
	Services map[string]struct {
		Image       string            `yaml:"image"`
		Command     []string          `yaml:"command"`
		Ports       []string          `yaml:"ports"`
		Environment map[string]string `yaml:"environment"`
		Volumes     []string          `yaml:"volumes"`
		DependsOn   map[string]any    `yaml:"depends_on"`
		Healthcheck struct {
			Test []string `yaml:"test"`
		} `yaml:"healthcheck"`
		ContainerName string `yaml:"container_name"`
	} `yaml:"services"`
	Volumes map[string]any `yaml:"volumes"`
}

// knownEnv lists every environment variable the binary reads, by asking
// the flag registration itself.
func knownEnv() map[string]bool {
	seen := map[string]bool{}
	var c config
	fs := pflag.NewFlagSet("x", pflag.ContinueOnError)
	c.register(fs, setAll)
	fs.VisitAll(func(f *pflag.Flag) {
		for _, k := range f.Annotations[annotationEnv] {
			seen[k] = true
		}
	})
	return seen
}

// No Docker engine runs here, so the compose file is checked as text
// against the binary it runs: every role a service, every command one the
// binary accepts, every variable one it reads.
func TestComposeFileMatchesTheBinary(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var f composeFile
	if err := yaml.Unmarshal(data, &f); err != nil {
		t.Fatalf("docker-compose.yml does not parse: %v", err)
	}
	kafka, ok := f.Services["kafka"]
	if !ok || !strings.HasPrefix(kafka.Image, "apache/kafka:4.") || kafka.Environment["KAFKA_PROCESS_ROLES"] != "broker,controller" {
		t.Fatalf("want a KRaft apache/kafka 4.x service, got %+v", kafka)
	}
	want := map[string][]string{
		"command-api": {"command-api"}, "order-manager": {"order-manager"}, "query-api": {"query-api"},
		"stage-sauce": {"stage", "sauce"}, "stage-cheese": {"stage", "cheese"},
		"stage-meats": {"stage", "meats"}, "stage-veggies": {"stage", "veggies"},
	}
	env := knownEnv()
	for name, cmd := range want {
		s, ok := f.Services[name]
		if !ok {
			t.Errorf("no service %s", name)
			continue
		}
		if !slices.Equal(s.Command, cmd) {
			t.Errorf("%s runs %v, want %v", name, s.Command, cmd)
		}
		if _, ok := s.DependsOn["kafka"]; !ok {
			t.Errorf("%s does not wait for kafka", name)
		}
		if s.Environment["PIZZERIA_BROKER"] != "kafka" || s.Environment["PIZZERIA_KAFKA_BROKERS"] != "kafka:9092" {
			t.Errorf("%s is not pointed at the kafka service: %v", name, s.Environment)
		}
		for k := range s.Environment {
			if !env[k] {
				t.Errorf("%s sets %s, which pizzeria does not read", name, k)
			}
		}
		// The command must be one the binary accepts: parse it for real,
		// with a cancelled context so it returns at once.
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if code := run(ctx, append(slices.Clone(cmd), "-h"), func(string) string { return "" }, discard{}, discard{}); code != 0 {
			t.Errorf("%s: pizzeria %v is not a command the binary accepts (exit %d)", name, cmd, code)
		}
		if strings.HasPrefix(name, "stage-") && (len(s.Ports) > 0 || s.ContainerName != "") {
			t.Errorf("%s must be scalable: no ports, no container_name", name)
		}
		if hc := s.Healthcheck.Test; len(hc) > 0 && (!slices.Contains(hc, "healthcheck") || hc[0] != "CMD") {
			t.Errorf("%s health check %v does not use the binary's healthcheck command", name, hc)
		}
	}
	if p := f.Services["command-api"].Ports; !slices.Contains(p, "127.0.0.1:8080:8080") {
		t.Errorf("command-api ports %v, want 127.0.0.1:8080:8080", p)
	}
	if p := f.Services["query-api"].Ports; !slices.Contains(p, "127.0.0.1:8081:8080") {
		t.Errorf("query-api ports %v, want 127.0.0.1:8081:8080", p)
	}
	if v := f.Services["query-api"].Volumes; len(v) == 0 || !strings.HasSuffix(v[0], ":/data") {
		t.Errorf("query-api needs its own volume for /data, has %v", v)
	} else if _, ok := f.Volumes[strings.Split(v[0], ":")[0]]; !ok {
		t.Errorf("volume %s is not declared", v[0])
	}
}
