package api

import (
	"encoding/json"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"
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

var pathParam = regexp.MustCompile(`\{[^}]+\}|:[^/]+`)

// route normalises a path template: parameter names may differ (one
// OpenAPI path item serves POST /order/:count and GET /order/:id).
func route(method, path string) string {
	return strings.ToUpper(method) + " " + pathParam.ReplaceAllString(path, "{}")
}

func TestOpenAPIDescribesExactlyTheRegisteredRoutes(t *testing.T) {
	h := newHarness(t, withAdmin(&logAdmin{}), withLive)
	rec := h.do("GET", "/openapi.json", "")
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("%d %s", rec.Code, rec.Header().Get("Content-Type"))
	}
	var doc openAPIDoc
	decodeJSON(t, rec, &doc)
	if doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi %q", doc.OpenAPI)
	}
	var documented, registered []string
	for path, item := range doc.Paths {
		for method, raw := range item {
			if method == "parameters" {
				continue
			}
			documented = append(documented, route(method, path))
			checkOperation(t, method+" "+path, raw)
		}
	}
	for _, r := range h.engine.Routes() {
		registered = append(registered, route(r.Method, r.Path))
	}
	sort.Strings(documented)
	sort.Strings(registered)
	if strings.Join(documented, "\n") != strings.Join(registered, "\n") {
		t.Fatalf("documented:\n%s\n\nregistered:\n%s", strings.Join(documented, "\n"), strings.Join(registered, "\n"))
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
