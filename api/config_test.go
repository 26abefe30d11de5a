package api

import (
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pizzeria/pizzeria/query"
)

func TestConfigValidation(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
		want []string
	}{
		{"negative body limit", Config{MaxBodyBytes: -1}, []string{"MaxBodyBytes"}},
		{"partial queries", Config{Queries: &query.Queries{}}, []string{"Queries"}},
		{"token with a space", Config{AdminToken: "two words"}, []string{"AdminToken"}},
		{"every problem at once", Config{MaxBodyBytes: -1, Queries: &query.Queries{}, AdminToken: "bad\n"},
			[]string{"MaxBodyBytes", "Queries", "AdminToken"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewHandler(tc.cfg)
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%v does not mention %s", err, w)
				}
			}
		})
	}
	if _, err := NewHandler(Config{}); err != nil {
		t.Fatalf("an empty config serves health and metrics: %v", err)
	}
}

func TestRolesRegisterOnlyTheirRoutes(t *testing.T) {
	commandOnly := newHarness(t, func(_ *harness, c *Config) { c.Queries = nil })
	if rec := commandOnly.do("POST", "/orders", `{"count":1}`, "Content-Type", jsonCT); rec.Code != http.StatusAccepted {
		t.Fatalf("command node refuses orders: %d", rec.Code)
	}
	assertProblem(t, commandOnly.do("GET", "/reports/cheese", ""), http.StatusNotFound)
	assertProblem(t, commandOnly.do("GET", "/orders", ""), http.StatusMethodNotAllowed)

	queryOnly := newHarness(t, func(_ *harness, c *Config) { c.PlaceOrder = nil })
	assertProblem(t, queryOnly.do("POST", "/orders", `{"count":1}`, "Content-Type", jsonCT), http.StatusMethodNotAllowed)
	if rec := queryOnly.do("GET", "/reports/cheese", ""); rec.Code != http.StatusOK {
		t.Fatalf("query node refuses reads: %d", rec.Code)
	}
	if queryOnly.end() != 0 {
		t.Fatal("a query node wrote to the log")
	}
}

func TestBodyLimitIsConfigurable(t *testing.T) {
	h := newHarness(t, func(_ *harness, c *Config) { c.MaxBodyBytes = 16 })
	assertProblem(t, h.do("POST", "/orders", `{"count": 1,             }`, "Content-Type", jsonCT), http.StatusRequestEntityTooLarge)
	if rec := h.do("POST", "/orders", `{"count": 1}`, "Content-Type", jsonCT); rec.Code != http.StatusAccepted {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
}

func TestHandlersCanShareARegistry(t *testing.T) {
	reg := prometheus.NewRegistry()
	for range 2 {
		if _, err := NewHandler(Config{Registry: reg}); err != nil {
			t.Fatal(err)
		}
	}
}
