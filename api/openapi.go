package api

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"
)

// openAPIDocument describes every route this package can register. It is
// written by hand; tests keep it equal to the registered routes and check
// real responses against it.
//
//go:embed openapi.json
var openAPIDocument []byte

// openAPI is GET /openapi.json: the document of the routes this node serves.
func (s *server) openAPI(c *gin.Context) {
	c.Data(http.StatusOK, "application/json", s.openAPIDoc)
}

var pathParam = regexp.MustCompile(`\{[^}]+\}|:[^/]+`)

// routeKey names a route whatever its parameters are called: one OpenAPI
// path item may serve gin routes with differently named parameters.
func routeKey(method, path string) string {
	return strings.ToUpper(method) + " " + pathParam.ReplaceAllString(path, "{}")
}

// describe returns the OpenAPI document cut down to the given routes, so a
// node that only takes orders does not advertise reads it answers with 404.
func describe(routes gin.RoutesInfo) ([]byte, error) {
	served := map[string]bool{}
	for _, r := range routes {
		served[routeKey(r.Method, r.Path)] = true
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(openAPIDocument, &doc); err != nil {
		return nil, fmt.Errorf("api: openapi.json: %w", err)
	}
	var paths map[string]map[string]json.RawMessage
	if err := json.Unmarshal(doc["paths"], &paths); err != nil {
		return nil, fmt.Errorf("api: openapi.json paths: %w", err)
	}
	for path, item := range paths {
		ops := 0
		for method := range item {
			switch method {
			case "parameters", "summary", "description", "servers":
				continue
			}
			if served[routeKey(method, path)] {
				ops++
			} else {
				delete(item, method)
			}
		}
		if ops == 0 {
			delete(paths, path)
		}
	}
	raw, err := json.Marshal(paths)
	if err != nil {
		return nil, err
	}
	doc["paths"] = raw
	return marshalInOrder(doc, "openapi", "info", "servers", "paths", "components")
}

// marshalInOrder writes doc's members with first leading, in that order,
// as the document is written, then any others; indented for people.
func marshalInOrder(doc map[string]json.RawMessage, first ...string) ([]byte, error) {
	var keys []string
	for _, k := range first {
		if _, ok := doc[k]; ok {
			keys = append(keys, k)
		}
	}
	var rest []string
	for k := range doc {
		if !slices.Contains(first, k) {
			rest = append(rest, k)
		}
	}
	slices.Sort(rest)
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range append(keys, rest...) {
		if i > 0 {
			b.WriteByte(',')
		}
		name, _ := json.Marshal(k)
		b.Write(name)
		b.WriteByte(':')
		b.Write(doc[k])
	}
	b.WriteByte('}')
	var out bytes.Buffer
	if err := json.Indent(&out, b.Bytes(), "", "  "); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}
