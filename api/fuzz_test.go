package api

import (
	"net/http"
	"testing"
)

// FuzzPlaceOrderBody: whatever the body, POST /orders never fails with a
// 5xx other than 503, answers every 4xx with a problem document and writes
// nothing for it, and writes exactly one event for a 202.
func FuzzPlaceOrderBody(f *testing.F) {
	for _, seed := range []string{
		`{"count": 3}`, `{"count":1}`, `{"count": 100}`, `{"count": 0}`, `{"count": -1}`, `{"count": 101}`,
		`{"count": 1e9}`, `{"count": "3"}`, `{"count": 3.5}`, `{"count": null}`, `{}`, ``, `[]`, `null`,
		`{"count": 3, "x": 1}`, `{"count": 3} {}`, `{"count": 99999999999999999999}`, `{"count": -0}`,
		"{\"count\": 3}\n", "\xef\xbb\xbf{\"count\": 3}", `{"\u0063ount": 2}`, `{"count": 2,}`,
	} {
		f.Add([]byte(seed))
	}
	shared := newHarness(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		h := *shared // the same API and log, failing this input's test
		h.t = t
		before := h.end()
		rec := h.do("POST", "/orders", string(body), "Content-Type", jsonCT)
		after := h.end()
		switch {
		case rec.Code == http.StatusAccepted:
			if after != before+1 {
				t.Fatalf("202 appended %d events", after-before)
			}
		case rec.Code >= 400 && rec.Code < 500:
			assertProblem(t, rec, rec.Code)
			if after != before {
				t.Fatalf("%d appended %d events", rec.Code, after-before)
			}
		case rec.Code == http.StatusServiceUnavailable:
			assertProblem(t, rec, rec.Code)
		default:
			t.Fatalf("status %d for %q: %s", rec.Code, body, rec.Body)
		}
	})
}
