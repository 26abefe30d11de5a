package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/pizzeria/pizzeria/internal/testkit"
)

// instance is one pizzeria process run in-process through run(), exactly
// as main does, on a loopback port.
type instance struct {
	base   string
	cancel context.CancelFunc
	done   chan int
	logs   *testkit.Buffer
}

func freeAddr(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// start runs `pizzeria args...` and waits until it answers /healthz.
func start(tb testing.TB, args ...string) *instance {
	tb.Helper()
	addr := freeAddr(tb)
	ctx, cancel := context.WithCancel(context.Background())
	in := &instance{base: "http://" + addr, cancel: cancel, done: make(chan int, 1), logs: &testkit.Buffer{}}
	args = append(args, "--http-addr", addr)
	noEnv := func(string) string { return "" }
	go func() { in.done <- run(ctx, args, noEnv, io.Discard, in.logs) }()
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(in.base + "/healthz")
		if err == nil {
			resp.Body.Close()
			break
		}
		select {
		case code := <-in.done:
			tb.Fatalf("pizzeria exited with %d before serving:\n%s", code, in.logs)
		default:
		}
		if time.Now().After(deadline) {
			tb.Fatalf("pizzeria did not serve within 20s:\n%s", in.logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
	tb.Cleanup(func() { in.stop(tb) })
	return in
}

// stop sends the equivalent of SIGTERM and expects a clean exit in time.
func (in *instance) stop(tb testing.TB) {
	tb.Helper()
	if in.cancel == nil {
		return
	}
	in.cancel()
	in.cancel = nil
	select {
	case code := <-in.done:
		if code != 0 {
			tb.Errorf("pizzeria exited with %d:\n%s", code, in.logs)
		}
	case <-time.After(30 * time.Second):
		tb.Fatalf("pizzeria did not stop within 30s:\n%s", in.logs)
	}
}

func (in *instance) do(tb testing.TB, method, path, body string) (int, []byte) {
	tb.Helper()
	req, err := http.NewRequest(method, in.base+path, strings.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

func (in *instance) placeOrder(tb testing.TB, count int) string {
	tb.Helper()
	code, body := in.do(tb, "POST", "/orders", fmt.Sprintf(`{"count":%d}`, count))
	if code != http.StatusAccepted {
		tb.Fatalf("POST /orders: %d %s", code, body)
	}
	var placed struct {
		OrderID string `json:"order_id"`
	}
	if err := json.Unmarshal(body, &placed); err != nil || placed.OrderID == "" {
		tb.Fatalf("POST /orders body %s: %v", body, err)
	}
	return placed.OrderID
}

type orderView struct {
	OrderID     string  `json:"order_id"`
	Count       int     `json:"count"`
	Status      string  `json:"status"`
	CompletedAt *string `json:"completed_at"`
	Pizzas      []struct {
		PizzaID string `json:"pizza_id"`
		Sauce   string `json:"sauce"`
		Cheese  string `json:"cheese"`
		Meats   string `json:"meats"`
		Veggies string `json:"veggies"`
		Stage   string `json:"stage"`
	} `json:"pizzas"`
}

// awaitCompleted waits for the order and checks it is whole.
func (in *instance) awaitCompleted(tb testing.TB, id string, count int) []byte {
	tb.Helper()
	code, body := in.do(tb, "GET", "/orders/"+id+"?wait=30s", "")
	var v orderView
	if err := json.Unmarshal(body, &v); code != 200 || err != nil {
		tb.Fatalf("GET /orders/%s: %d %s", id, code, body)
	}
	if v.Status != "completed" || v.Count != count || len(v.Pizzas) != count || v.CompletedAt == nil {
		tb.Fatalf("order %s not whole: %s", id, body)
	}
	for _, p := range v.Pizzas {
		if p.Sauce == "" || p.Cheese == "" || p.Meats == "" || p.Veggies == "" || p.Stage != "done" {
			tb.Fatalf("pizza lacks a topping: %s", body)
		}
	}
	return body
}

// newFlagSet registers every setting with no environment.
func newFlagSet(cfg *config) *pflag.FlagSet {
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	cfg.register(fs, setAll)
	return fs
}

// testConfig is every setting at its default, on a fresh embedded data dir
// with a short drain, for processes built inside a test.
func testConfig(tb testing.TB) config {
	cfg := defaultConfig()
	cfg.DataDir = tb.TempDir()
	cfg.ShutdownTimeout = 10 * time.Second
	return cfg
}
