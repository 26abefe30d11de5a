package api

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
)

func TestHealthAndReadiness(t *testing.T) {
	var notReady error
	h := newHarness(t, func(_ *harness, c *Config) {
		c.Ready = func(context.Context) error { return notReady }
	})
	rec := h.do("GET", "/healthz", "")
	if rec.Code != http.StatusOK || rec.Body.String() != `{"status":"ok"}` {
		t.Fatalf("healthz: %d %s", rec.Code, rec.Body)
	}
	rec = h.do("GET", "/readyz", "")
	if rec.Code != http.StatusOK || rec.Body.String() != `{"status":"ready"}` {
		t.Fatalf("readyz: %d %s", rec.Code, rec.Body)
	}
	notReady = errors.New("projections are 1200 events behind the log")
	rec = h.do("GET", "/readyz", "")
	if rec.Code != http.StatusServiceUnavailable ||
		rec.Body.String() != `{"status":"unready","reason":"projections are 1200 events behind the log"}` {
		t.Fatalf("unready: %d %s", rec.Code, rec.Body)
	}
}

func TestMetricsAreLabelledByRouteTemplate(t *testing.T) {
	h := newHarness(t)
	id := h.cooked(1)
	h.do("GET", "/orders/"+id, "")
	h.do("GET", "/orders/unknown-id", "")
	h.do("GET", "/no/such/path", "")
	rec := h.do("GET", "/metrics", "")
	if rec.Code != http.StatusOK {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	body := rec.Body.String()
	for _, want := range []string{
		`pizzeria_http_requests_total{method="GET",route="/orders/:id",status="200"} 1`,
		`pizzeria_http_requests_total{method="GET",route="/orders/:id",status="404"} 1`,
		`pizzeria_http_requests_total{method="POST",route="/orders",status="202"} 1`,
		`pizzeria_http_requests_total{method="GET",route="unmatched",status="404"} 1`,
		`pizzeria_http_request_duration_seconds_bucket{method="GET",route="/orders/:id",status="200",le="+Inf"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(body, id) || strings.Contains(body, "unknown-id") || strings.Contains(body, "/no/such") {
		t.Error("a raw path became a label")
	}
}

func TestRequestIDIsHonouredOrGenerated(t *testing.T) {
	h := newHarness(t)
	rec := h.do("GET", "/orders/x", "", "X-Request-ID", "client-chosen-1")
	if got := rec.Header().Get("X-Request-ID"); got != "client-chosen-1" {
		t.Fatalf("echoed %q", got)
	}
	if p := assertProblem(t, rec, 404); p.RequestID != "client-chosen-1" {
		t.Fatalf("problem request id %q", p.RequestID)
	}
	for _, bad := range []string{"", "has space", strings.Repeat("x", 200)} {
		rec = h.do("GET", "/healthz", "", "X-Request-ID", bad)
		if got := rec.Header().Get("X-Request-ID"); got == "" || got == bad {
			t.Fatalf("request id %q kept as %q", bad, got)
		}
	}
	logs := h.logs.String()
	for _, want := range []string{`"request_id":"client-chosen-1"`, `"route":"/orders/:id"`, `"method":"GET"`, `"status":404`, `"latency":`} {
		if !strings.Contains(logs, want) {
			t.Errorf("request log lacks %s: %s", want, logs)
		}
	}
}

func TestPanicsBecome500Problems(t *testing.T) {
	h := newHarness(t)
	h.engine.GET("/boom", func(*gin.Context) { panic("secret internal state 0xdeadbeef") })
	rec := h.do("GET", "/boom", "")
	p := assertProblem(t, rec, http.StatusInternalServerError)
	if strings.Contains(rec.Body.String(), "deadbeef") {
		t.Fatalf("panic text leaked: %s", rec.Body)
	}
	if !strings.Contains(h.logs.String(), "0xdeadbeef") || !strings.Contains(h.logs.String(), p.RequestID) {
		t.Fatal("the panic was not logged with the request id")
	}
	if rec := h.do("GET", "/healthz", ""); rec.Code != http.StatusOK {
		t.Fatal("the server did not survive the panic")
	}
}

func TestUnexpectedErrorsAreGeneric500s(t *testing.T) {
	h := newHarness(t)
	h.store.Close() // reads now fail with a storage error
	for _, target := range []string{"/orders/x", "/orders", "/reports/cheese", "/report", "/order/x"} {
		rec := h.do("GET", target, "")
		p := assertProblem(t, rec, http.StatusInternalServerError)
		if strings.Contains(strings.ToLower(p.Detail), "database") || strings.Contains(p.Detail, "bolt") {
			t.Fatalf("%s: internal text leaked: %q", target, p.Detail)
		}
	}
	if !strings.Contains(h.logs.String(), "database not open") {
		t.Fatalf("the real error was not logged: %s", h.logs)
	}
}

func TestGinPrintsNothing(t *testing.T) {
	var out bytes.Buffer
	defer func(w, e io.Writer, mode string) {
		gin.DefaultWriter, gin.DefaultErrorWriter = w, e
		gin.SetMode(mode)
	}(gin.DefaultWriter, gin.DefaultErrorWriter, gin.Mode())
	gin.DefaultWriter, gin.DefaultErrorWriter = &out, &out
	gin.SetMode(gin.DebugMode) // as in a process that never set a mode
	h := newHarness(t)
	h.do("GET", "/healthz", "")
	if gin.Mode() != gin.ReleaseMode || out.Len() > 0 {
		t.Fatalf("gin mode %s printed %q", gin.Mode(), out.String())
	}
}
