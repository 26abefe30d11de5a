package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/pizzeria/pizzeria/command"
)

type openAPIDoc struct {
	OpenAPI string                                `json:"openapi"`
	Paths   map[string]map[string]json.RawMessage `json:"paths"`
}

type operation struct {
	Responses map[string]struct {
		Ref     string                     `json:"$ref"`
		Content map[string]json.RawMessage `json:"content"`
	} `json:"responses"`
}

// role is what one kind of node serves, as cmd/pizzeria assembles it.
type role struct {
	name string
	opts []func(*harness, *Config)
}

func everyRole() []role {
	noReads := func(_ *harness, c *Config) { c.Queries = nil }
	noOrders := func(_ *harness, c *Config) { c.PlaceOrder = nil }
	return []role{
		{"serve", []func(*harness, *Config){withAdmin(&logAdmin{}), withLive}},
		{"command-api", []func(*harness, *Config){noReads}},
		{"query-api", []func(*harness, *Config){noOrders, withAdmin(&logAdmin{}), withLive}},
		{"worker", []func(*harness, *Config){noReads, noOrders}},
	}
}

// documented lists the operations of an OpenAPI document, one route key each.
func documented(t *testing.T, raw []byte) []string {
	t.Helper()
	var doc openAPIDoc
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi %q", doc.OpenAPI)
	}
	var ops []string
	for path, item := range doc.Paths {
		for method, raw := range item {
			if method == "parameters" {
				continue
			}
			ops = append(ops, routeKey(method, path))
			checkOperation(t, method+" "+path, raw)
		}
	}
	sort.Strings(ops)
	return ops
}

// Every node serves the document of exactly the routes it registered; the
// full document is exactly what a node with every role registers.
func TestOpenAPIDescribesExactlyTheRegisteredRoutes(t *testing.T) {
	for _, r := range everyRole() {
		t.Run(r.name, func(t *testing.T) {
			h := newHarness(t, r.opts...)
			rec := h.do("GET", "/openapi.json", "")
			if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/json" {
				t.Fatalf("%d %s", rec.Code, rec.Header().Get("Content-Type"))
			}
			var registered []string
			for _, rt := range h.engine.Routes() {
				registered = append(registered, routeKey(rt.Method, rt.Path))
			}
			sort.Strings(registered)
			served := documented(t, rec.Body.Bytes())
			if strings.Join(served, "\n") != strings.Join(registered, "\n") {
				t.Fatalf("documented:\n%s\n\nregistered:\n%s", strings.Join(served, "\n"), strings.Join(registered, "\n"))
			}
			if r.name == "serve" && strings.Join(documented(t, openAPIDocument), "\n") != strings.Join(registered, "\n") {
				t.Fatal("the full document describes routes no node registers")
			}
		})
	}
}

// checkOperation: every error response is a problem document, except the
// readiness probe's 503.
func checkOperation(t *testing.T, name string, raw json.RawMessage) {
	t.Helper()
	var op operation
	if err := json.Unmarshal(raw, &op); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if len(op.Responses) == 0 {
		t.Errorf("%s has no responses", name)
	}
	for code, r := range op.Responses {
		if code < "400" || name == "get /readyz" {
			continue
		}
		if _, ok := r.Content[problemContentType]; !ok && !strings.HasPrefix(r.Ref, "#/components/responses/") {
			t.Errorf("%s %s is not a problem response", name, code)
		}
	}
}

func TestOpenAPIReferencesResolve(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal(openAPIDocument, &doc); err != nil {
		t.Fatal(err)
	}
	refs := regexp.MustCompile(`"\$ref":\s*"#/([^"]+)"`).FindAllStringSubmatch(string(openAPIDocument), -1)
	if len(refs) == 0 {
		t.Fatal("no references")
	}
	for _, m := range refs {
		var node any = doc
		for _, part := range strings.Split(m[1], "/") {
			obj, ok := node.(map[string]any)
			if !ok || obj[part] == nil {
				t.Fatalf("dangling reference #/%s", m[1])
			}
			node = obj[part]
		}
	}
}

// exchange is one request to drive through a node; {id} stands for a
// completed order's id. ok says whether it should succeed (2xx).
type exchange struct {
	method, target, body string
	headers              []string
	ok                   bool
	// opaque: not JSON (a live stream, read for a moment, or a page of
	// the board); only its status and headers are checked.
	opaque bool
}

func exchanges() []exchange {
	jsonBody := []string{"Content-Type", "application/json"}
	auth := []string{"Authorization", "Bearer " + adminToken}
	return []exchange{
		{method: "GET", target: "/healthz", ok: true},
		{method: "GET", target: "/readyz", ok: true},
		{method: "GET", target: "/metrics", ok: true},
		{method: "GET", target: "/openapi.json", ok: true},

		{method: "POST", target: "/orders", body: `{"count":2}`, headers: jsonBody, ok: true},
		{method: "POST", target: "/orders", body: `{"count":2}`, headers: []string{"Content-Type", "application/json", "Idempotency-Key", "k-1"}, ok: true},
		{method: "POST", target: "/orders", body: `{"count":0}`, headers: jsonBody},
		{method: "POST", target: "/orders", body: `{"count":`, headers: jsonBody},
		{method: "POST", target: "/orders", body: `count=2`, headers: []string{"Content-Type", "text/plain"}},
		{method: "POST", target: "/orders", body: `{"count":2,"pad":"` + strings.Repeat("x", DefaultMaxBodyBytes) + `"}`, headers: jsonBody},
		{method: "POST", target: "/order/3", ok: true},
		{method: "POST", target: "/order/lots"},

		{method: "GET", target: "/orders/{id}", ok: true},
		{method: "GET", target: "/orders/{id}?wait=10ms", ok: true},
		{method: "GET", target: "/orders/no-such-order"},
		{method: "GET", target: "/orders/{id}?wait=forever"},
		{method: "GET", target: "/orders?limit=1", ok: true},
		{method: "GET", target: "/orders", ok: true},
		{method: "GET", target: "/orders?limit=-1"},
		{method: "GET", target: "/reports/cheese", ok: true},
		{method: "GET", target: "/order/{id}", ok: true},
		{method: "GET", target: "/order/no-such-order"},
		{method: "GET", target: "/report", ok: true},

		{method: "GET", target: "/admin/dead-letters", headers: auth, ok: true},
		{method: "GET", target: "/admin/dead-letters?limit=0", headers: auth},
		{method: "GET", target: "/admin/dead-letters"},
		{method: "POST", target: "/admin/dead-letters/redrive", headers: auth, ok: true},
		{method: "POST", target: "/admin/replay", headers: auth, ok: true},
		{method: "POST", target: "/admin/replay", headers: []string{"Authorization", "Bearer wrong"}},
		{method: "GET", target: "/admin/jobs/{job}", headers: auth, ok: true},
		{method: "GET", target: "/orders/{id}/events", ok: true, opaque: true},
		{method: "GET", target: "/kitchen/events", ok: true, opaque: true},
		{method: "GET", target: "/", ok: true, opaque: true},
		{method: "GET", target: "/board/board.css", ok: true, opaque: true},
		{method: "GET", target: "/board/board.js", ok: true, opaque: true},
		{method: "GET", target: "/admin/jobs/no-such-job", headers: auth},
	}
}

// Every route of every role answers, for real, as that role's OpenAPI
// document says: status, headers and body. Each documented operation is
// exercised with a success at least once, so neither side can drift.
func TestResponsesMatchTheOpenAPIDocument(t *testing.T) {
	for _, r := range everyRole() {
		t.Run(r.name, func(t *testing.T) {
			h := newHarness(t, r.opts...)
			id := h.seed()
			served := h.do("GET", "/openapi.json", "")
			loader := openapi3.NewLoader()
			doc, err := loader.LoadFromData(served.Body.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			if err := doc.Validate(loader.Context); err != nil {
				t.Fatalf("the served document is not valid OpenAPI: %v", err)
			}
			router, err := legacy.NewRouter(doc)
			if err != nil {
				t.Fatal(err)
			}
			succeeded := map[string]bool{}
			job := "none" // the job the last replay started, from its Location
			for _, x := range exchanges() {
				target := strings.ReplaceAll(strings.ReplaceAll(x.target, "{id}", id), "{job}", job)
				req := httptest.NewRequest(x.method, target, strings.NewReader(x.body))
				for i := 0; i+1 < len(x.headers); i += 2 {
					req.Header.Set(x.headers[i], x.headers[i+1])
				}
				route, params, err := router.FindRoute(req)
				if err != nil {
					// Not this role's route: it must not answer as if it were.
					if rec := h.do(x.method, target, x.body, x.headers...); rec.Code/100 == 2 {
						t.Errorf("%s %s is not documented for %s but answered %d", x.method, x.target, r.name, rec.Code)
					}
					continue
				}
				if loc := validate(t, h, x, req, route, params, succeeded); strings.HasPrefix(loc, "/admin/jobs/") {
					job = strings.TrimPrefix(loc, "/admin/jobs/")
				}
			}
			for _, op := range documented(t, served.Body.Bytes()) {
				if !succeeded[op] {
					t.Errorf("%s: no successful exchange with %s", r.name, op)
				}
			}
		})
	}
}

// validate runs one exchange and checks it against the document; it
// returns the response's Location, if any.
func validate(t *testing.T, h *harness, x exchange, req *http.Request, route *routers.Route, params map[string]string, succeeded map[string]bool) string {
	t.Helper()
	name := x.method + " " + x.target
	opts := &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true, AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
	ctx := context.Background()
	if x.ok {
		if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
			t.Errorf("%s: the test's request breaks the document: %v", name, err)
		}
		req.Body = io.NopCloser(strings.NewReader(x.body))
	}
	rec := httptest.NewRecorder()
	if x.opaque {
		sctx, cancel := context.WithTimeout(req.Context(), 300*time.Millisecond)
		defer cancel()
		req = req.WithContext(sctx)
		opts.ExcludeResponseBody = true
	}
	h.handler.ServeHTTP(rec, req)
	if success := rec.Code/100 == 2; success != x.ok {
		t.Errorf("%s: %d %s", name, rec.Code, rec.Body)
		return ""
	}
	if x.ok {
		succeeded[routeKey(route.Method, route.Path)] = true
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: rec.Code, Header: rec.Header(),
		Body: io.NopCloser(bytes.NewReader(rec.Body.Bytes())), Options: opts}
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		t.Errorf("%s: the %d response breaks the document: %v\n%s", name, rec.Code, err, rec.Body)
	}
	return rec.Header().Get("Location")
}

// seed puts a completed order in the views and a letter on the dead-letter
// topic, whatever the node serves, and returns the order's id.
func (h *harness) seed() string {
	h.t.Helper()
	placed, err := command.NewPlaceOrderHandler(h.log.Publisher(), codec, 0).Handle(context.Background(), command.PlaceOrder{Count: 3})
	if err != nil {
		h.t.Fatal(err)
	}
	h.apply(h.cook(placed.OrderID)...)
	dead := message.NewMessage("dead-1", []byte(`{"not":"a pizza"}`))
	dead.Metadata.Set("source_topic", "pizza")
	dead.Metadata.Set("reason", "undecodable")
	if err := h.log.Publisher().Publish(codec.Topics().DeadLetters, dead); err != nil {
		h.t.Fatal(err)
	}
	return placed.OrderID
}
