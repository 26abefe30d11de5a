package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
	"go.yaml.in/yaml/v3"
)

// loadCompose loads docker-compose.yml with the compose-spec library, as
// docker compose would, with the given profiles enabled.
func loadCompose(t *testing.T, profiles ...string) *types.Project {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	p, err := loader.LoadWithContext(t.Context(), types.ConfigDetails{
		WorkingDir:  dir,
		ConfigFiles: []types.ConfigFile{{Filename: filepath.Join(dir, "docker-compose.yml")}},
		Environment: types.Mapping{},
	}, func(o *loader.Options) {
		o.SetProjectName("pizzeria", true)
		o.Profiles = profiles
		o.ResolvePaths = true
	})
	if err != nil {
		t.Fatalf("docker-compose.yml is not a valid compose file: %v", err)
	}
	return p
}

// TestComposeObservabilityProfile: the observability profile adds
// Prometheus, Grafana and Jaeger; every service has a health check, every
// published port is on 127.0.0.1, and every file mounted from the repo
// exists.
func TestComposeObservabilityProfile(t *testing.T) {
	plain := loadCompose(t)
	for _, name := range []string{"prometheus", "grafana", "jaeger"} {
		if _, ok := plain.Services[name]; ok {
			t.Errorf("%s runs without the observability profile", name)
		}
	}
	p := loadCompose(t, "observability")
	for _, name := range []string{"prometheus", "grafana", "jaeger", "kafka", "command-api", "query-api"} {
		if _, ok := p.Services[name]; !ok {
			t.Errorf("no service %s with --profile observability", name)
		}
	}
	for name, s := range p.Services {
		if s.HealthCheck == nil || len(s.HealthCheck.Test) == 0 || s.HealthCheck.Disable {
			t.Errorf("%s has no health check", name)
		}
		for _, port := range s.Ports {
			if port.HostIP != "127.0.0.1" {
				t.Errorf("%s publishes %s:%d on %q, want 127.0.0.1", name, port.Published, port.Target, port.HostIP)
			}
		}
		for _, v := range s.Volumes {
			if v.Type != types.VolumeTypeBind {
				continue
			}
			if _, err := os.Stat(v.Source); err != nil {
				t.Errorf("%s mounts %s, which is not in the repository: %v", name, v.Source, err)
			}
		}
	}
}

// TestPrometheusScrapesEveryRole: the scrape config names every pizzeria
// service of the compose file.
func TestPrometheusScrapesEveryRole(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "deploy", "prometheus", "prometheus.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		ScrapeConfigs []struct {
			MetricsPath  string `yaml:"metrics_path"`
			DNSSDConfigs []struct {
				Names []string `yaml:"names"`
				Port  int      `yaml:"port"`
			} `yaml:"dns_sd_configs"`
		} `yaml:"scrape_configs"`
	}
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		t.Fatal(err)
	}
	scraped := map[string]bool{}
	for _, sc := range cfg.ScrapeConfigs {
		for _, d := range sc.DNSSDConfigs {
			for _, n := range d.Names {
				scraped[n] = sc.MetricsPath == "/metrics" && d.Port == 8080
			}
		}
	}
	for name, s := range loadCompose(t).Services {
		if s.Image == "pizzeria:local" && !scraped[name] {
			t.Errorf("prometheus.yml does not scrape %s on :8080/metrics", name)
		}
	}
}

// TestDashboardQueriesExportedMetrics: every metric the Grafana dashboard
// queries is one a running pizzeria exports at /metrics.
func TestDashboardQueriesExportedMetrics(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "deploy", "grafana", "dashboards", "pizzeria.json"))
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		UID    string `json:"uid"`
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(data, &dash); err != nil {
		t.Fatalf("dashboard JSON: %v", err)
	}
	names := map[string]string{} // metric -> panel
	metric := regexp.MustCompile(`\bpizzeria_[a-z_]+\b`)
	for _, p := range dash.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			for _, n := range metric.FindAllString(tg.Expr, -1) {
				names[n] = p.Title
			}
		}
	}
	if len(names) < 10 {
		t.Fatalf("the dashboard queries only %d metrics: %v", len(names), names)
	}

	in := start(t, "--data-dir", t.TempDir())
	id := placeOrder(t, in.base, 3)
	resp, err := http.Get(in.base + "/orders/" + id + "?wait=20s")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	stream, err := http.Get(in.base + "/kitchen/events") // so the stream gauges have a value
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Body.Close()
	exported := ""
	deadline := time.Now().Add(20 * time.Second)
	for {
		exported = scrape(t, in.base)
		if strings.Contains(exported, "\npizzeria_order_completion_seconds_count 1") || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	var missing []string
	for n, panel := range names {
		if !strings.Contains(exported, "\n"+n+"{") && !strings.Contains(exported, "\n"+n+" ") {
			missing = append(missing, n+" (panel "+panel+")")
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Fatalf("the dashboard queries metrics /metrics does not export:\n%s", strings.Join(missing, "\n"))
	}
	for _, want := range []string{`pizzeria_pizzas_total{stage="veggies"} 3`, "pizzeria_orders_completed_total 1",
		`pizzeria_consumer_lag_messages{group="pizzeria-stage-cheese",partition="0",topic="pizza-with-sauce"}`,
		"pizzeria_order_completion_seconds_count 1", `pizzeria_build_info{`} {
		if !strings.Contains(exported, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

func scrape(t *testing.T, base string) string {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return "\n" + string(b)
}

func placeOrder(t *testing.T, base string, count int) string {
	t.Helper()
	resp, err := http.Post(base+"/orders", "application/json", strings.NewReader(`{"count":`+strconv.Itoa(count)+`}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var p struct {
		OrderID string `json:"order_id"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&p); err != nil || resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST /orders: %d %v", resp.StatusCode, err)
	}
	return p.OrderID
}
