package api

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/pizzeria/pizzeria/internal/testkit"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/pizzeria/pizzeria/command"
	"github.com/pizzeria/pizzeria/events"
	"github.com/pizzeria/pizzeria/internal/boltlog"
	"github.com/pizzeria/pizzeria/internal/boltstore"
	"github.com/pizzeria/pizzeria/projections"
	"github.com/pizzeria/pizzeria/query"
)

var codec = events.NewCodec(events.DefaultTopics())

// harness is the API over real dependencies: an embedded event log for the
// command side and a bbolt views store for the query side.
type harness struct {
	t       testing.TB
	log     *boltlog.Log
	logPath string
	store   *projections.Store
	engine  *gin.Engine
	handler http.Handler
	logs    *testkit.Buffer
	reg     *prometheus.Registry
}

// newHarness builds the API; opts adjust the config before it is built.
func newHarness(tb testing.TB, opts ...func(*harness, *Config)) *harness {
	tb.Helper()
	dir := tb.TempDir()
	logPath := filepath.Join(dir, "log.db")
	log, err := boltlog.Open(boltlog.Config{Path: logPath})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { log.Close() })
	store, err := projections.Open(filepath.Join(dir, "views"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { store.Close() })
	keys, err := boltstore.OpenKeys(filepath.Join(dir, "idempotency.db"), 0)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { keys.Close() })
	h := &harness{t: tb, log: log, logPath: logPath, store: store, logs: &testkit.Buffer{}, reg: prometheus.NewRegistry()}
	q := query.New(store, store.Notifier())
	cfg := Config{
		PlaceOrder: command.NewPlaceOrderHandler(log.Publisher(), codec, 0).RememberKeys(keys),
		Queries:    &q,
		Logger:     slog.New(slog.NewJSONHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Registry:   h.reg,
	}
	for _, o := range opts {
		o(h, &cfg)
	}
	if h.engine, err = newEngine(cfg); err != nil {
		tb.Fatal(err)
	}
	h.handler = h.engine
	return h
}

// do serves one request; headers are name, value pairs.
func (h *harness) do(method, target, body string, headers ...string) *httptest.ResponseRecorder {
	h.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, target, r)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	h.handler.ServeHTTP(rec, req)
	return rec
}

// order posts a well-formed order and returns its id.
func (h *harness) order(count int) string {
	h.t.Helper()
	rec := h.do("POST", "/orders", `{"count":`+strconv.Itoa(count)+`}`, "Content-Type", "application/json")
	if rec.Code != http.StatusAccepted {
		h.t.Fatalf("placing an order: %d %s", rec.Code, rec.Body)
	}
	var p struct {
		OrderID string `json:"order_id"`
	}
	decodeJSON(h.t, rec, &p)
	return p.OrderID
}

// end is how many messages the event topics hold in total.
func (h *harness) end() uint64 {
	h.t.Helper()
	var n uint64
	for _, topic := range codec.Topics().Events() {
		c, err := h.log.Count(topic)
		if err != nil {
			h.t.Fatal(err)
		}
		n += uint64(c)
	}
	return n
}

func decodeJSON(tb testing.TB, rec *httptest.ResponseRecorder, v any) {
	tb.Helper()
	if err := json.Unmarshal(rec.Body.Bytes(), v); err != nil {
		tb.Fatalf("body %q: %v", rec.Body, err)
	}
}

// assertProblem checks rec is an RFC 9457 problem with status and a detail.
func assertProblem(tb testing.TB, rec *httptest.ResponseRecorder, status int) problem {
	tb.Helper()
	if rec.Code != status {
		tb.Fatalf("status %d, want %d: %s", rec.Code, status, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != problemContentType {
		tb.Fatalf("content type %q, want %s", ct, problemContentType)
	}
	var p problem
	dec := json.NewDecoder(bytes.NewReader(rec.Body.Bytes()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		tb.Fatalf("not a problem document: %v: %s", err, rec.Body)
	}
	if p.Status != status || p.Type == "" || p.Title == "" || p.Detail == "" || p.Instance == "" || p.RequestID == "" {
		tb.Fatalf("incomplete problem: %+v", p)
	}
	return p
}

// keys lists a JSON object's member names, sorted.
func keys(tb testing.TB, raw json.RawMessage) string {
	tb.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		tb.Fatalf("%s: %v", raw, err)
	}
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return strings.Join(ks, ",")
}
