package api

import (
	"net/http"
	"strings"
	"testing"
)

const jsonCT = "application/json"

// Every hostile request gets a 4xx problem document with a detail, and
// leaves the log as it was.
func TestHostileRequests(t *testing.T) {
	h := newHarness(t)
	known := h.cooked(1)
	longID := strings.Repeat("a", maxOrderIDBytes+1)
	cases := []struct {
		name         string
		method, path string
		body         string
		headers      []string
		status       int
	}{
		{"invalid JSON", "POST", "/orders", `{"count": 3`, []string{"Content-Type", jsonCT}, 400},
		{"not JSON at all", "POST", "/orders", `count=3`, []string{"Content-Type", jsonCT}, 400},
		{"array body", "POST", "/orders", `[3]`, []string{"Content-Type", jsonCT}, 400},
		{"string body", "POST", "/orders", `"3"`, []string{"Content-Type", jsonCT}, 400},
		{"null body", "POST", "/orders", `null`, []string{"Content-Type", jsonCT}, 400},
		{"count zero", "POST", "/orders", `{"count": 0}`, []string{"Content-Type", jsonCT}, 400},
		{"count negative", "POST", "/orders", `{"count": -1}`, []string{"Content-Type", jsonCT}, 400},
		{"count over the maximum", "POST", "/orders", `{"count": 101}`, []string{"Content-Type", jsonCT}, 400},
		{"count in exponent form", "POST", "/orders", `{"count": 1e9}`, []string{"Content-Type", jsonCT}, 400},
		{"count beyond int64", "POST", "/orders", `{"count": 99999999999999999999999}`, []string{"Content-Type", jsonCT}, 400},
		{"count as a string", "POST", "/orders", `{"count": "3"}`, []string{"Content-Type", jsonCT}, 400},
		{"count fractional", "POST", "/orders", `{"count": 3.5}`, []string{"Content-Type", jsonCT}, 400},
		{"count 3.0", "POST", "/orders", `{"count": 3.0}`, []string{"Content-Type", jsonCT}, 400},
		{"count boolean", "POST", "/orders", `{"count": true}`, []string{"Content-Type", jsonCT}, 400},
		{"count object", "POST", "/orders", `{"count": {"n": 3}}`, []string{"Content-Type", jsonCT}, 400},
		{"count missing", "POST", "/orders", `{}`, []string{"Content-Type", jsonCT}, 400},
		{"count null", "POST", "/orders", `{"count": null}`, []string{"Content-Type", jsonCT}, 400},
		{"count twice", "POST", "/orders", `{"count": 1, "count": 2}`, []string{"Content-Type", jsonCT}, 400},
		{"extra field", "POST", "/orders", `{"count": 3, "size": "xl"}`, []string{"Content-Type", jsonCT}, 400},
		{"misspelt field", "POST", "/orders", `{"cuont": 3}`, []string{"Content-Type", jsonCT}, 400},
		{"empty body", "POST", "/orders", ``, []string{"Content-Type", jsonCT}, 400},
		{"whitespace body", "POST", "/orders", " \n\t", []string{"Content-Type", jsonCT}, 400},
		{"trailing garbage", "POST", "/orders", `{"count": 3} x`, []string{"Content-Type", jsonCT}, 400},
		{"two objects", "POST", "/orders", `{"count": 3}{"count": 3}`, []string{"Content-Type", jsonCT}, 400},
		{"body over the limit", "POST", "/orders", `{"count": 3` + strings.Repeat(" ", DefaultMaxBodyBytes) + `}`, []string{"Content-Type", jsonCT}, 413},
		{"no content type", "POST", "/orders", `{"count": 3}`, nil, 415},
		{"text content type", "POST", "/orders", `{"count": 3}`, []string{"Content-Type", "text/plain"}, 415},
		{"form content type", "POST", "/orders", `count=3`, []string{"Content-Type", "application/x-www-form-urlencoded"}, 415},
		{"latin-1 charset", "POST", "/orders", `{"count": 3}`, []string{"Content-Type", "application/json; charset=latin1"}, 415},
		{"idempotency key too long", "POST", "/orders", `{"count": 3}`, []string{"Content-Type", jsonCT, "Idempotency-Key", strings.Repeat("k", 256)}, 400},
		{"idempotency key not ASCII", "POST", "/orders", `{"count": 3}`, []string{"Content-Type", jsonCT, "Idempotency-Key", "ключ"}, 400},
		{"unknown id", "GET", "/orders/no-such-order", ``, nil, 404},
		{"wait not a duration", "GET", "/orders/" + known + "?wait=abc", ``, nil, 400},
		{"wait negative", "GET", "/orders/" + known + "?wait=-1s", ``, nil, 400},
		{"wait without unit", "GET", "/orders/" + known + "?wait=10", ``, nil, 400},
		{"wait zero", "GET", "/orders/" + known + "?wait=0s", ``, nil, 400},
		{"wait empty", "GET", "/orders/" + known + "?wait=", ``, nil, 400},
		{"limit not a number", "GET", "/orders?limit=ten", ``, nil, 400},
		{"limit zero", "GET", "/orders?limit=0", ``, nil, 400},
		{"limit over the maximum", "GET", "/orders?limit=101", ``, nil, 400},
		{"limit negative", "GET", "/orders?limit=-5", ``, nil, 400},
		{"cursor forged", "GET", "/orders?cursor=!!not-a-cursor", ``, nil, 400},
		{"cursor too short", "GET", "/orders?cursor=AAAA", ``, nil, 400},
		{"very long id", "GET", "/orders/" + longID, ``, nil, 400},
		{"NUL in id", "GET", "/orders/%00", ``, nil, 400},
		{"newline in id", "GET", "/orders/a%0Ab", ``, nil, 400},
		{"invalid UTF-8 in id", "GET", "/orders/%ff%fe", ``, nil, 400},
		{"encoded traversal in id", "GET", "/orders/..%2f..%2fetc%2fpasswd", ``, nil, 404},
		{"plain traversal", "GET", "/orders/../admin/replay", ``, nil, 404},
		{"dot dot id", "GET", "/orders/..", ``, nil, 404},
		{"trailing slash", "GET", "/orders/", ``, nil, 404},
		{"unknown route", "GET", "/pizzas", ``, nil, 404},
		{"legacy count not a number", "POST", "/order/three", ``, nil, 400},
		{"legacy count fractional", "POST", "/order/3.5", ``, nil, 400},
		{"legacy count zero", "POST", "/order/0", ``, nil, 400},
		{"legacy count too big", "POST", "/order/101", ``, nil, 400},
		{"legacy count huge", "POST", "/order/1e9", ``, nil, 400},
		{"legacy unknown id", "GET", "/order/no-such-order", ``, nil, 404},
		{"legacy very long id", "GET", "/order/" + longID, ``, nil, 400},
		{"wrong method on orders", "DELETE", "/orders", ``, nil, 405},
		{"wrong method on an order", "PUT", "/orders/" + known, `{"count": 1}`, []string{"Content-Type", jsonCT}, 405},
		{"wrong method on the report", "POST", "/reports/cheese", ``, nil, 405},
		{"made-up method", "BREW", "/orders", ``, nil, 405},
		{"admin off", "POST", "/admin/replay", ``, nil, 404},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := h.end()
			rec := h.do(tc.method, tc.path, tc.body, tc.headers...)
			p := assertProblem(t, rec, tc.status)
			if tc.status == http.StatusMethodNotAllowed && rec.Header().Get("Allow") == "" {
				t.Fatal("405 without Allow")
			}
			if strings.Contains(p.Detail, longID) {
				t.Fatal("the detail echoes a whole hostile id")
			}
			if after := h.end(); after != before {
				t.Fatalf("the log grew from %d to %d events", before, after)
			}
		})
	}
}

func TestCountMessagesGiveTheAllowedRange(t *testing.T) {
	h := newHarness(t)
	for _, body := range []string{`{"count": 0}`, `{"count": 101}`, `{"count": 99999999999999999999999}`} {
		p := assertProblem(t, h.do("POST", "/orders", body, "Content-Type", jsonCT), 400)
		if !strings.Contains(p.Detail, "1 to 100") {
			t.Errorf("%s: detail %q does not give the range", body, p.Detail)
		}
	}
}
