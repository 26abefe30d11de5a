package api

import (
	"net/http"
	"strings"
	"testing"
)

// A node that takes orders but does not serve reads points Location at
// the query API it is configured with; without one, at itself.
func TestLocationPointsWhereTheOrderCanBeRead(t *testing.T) {
	for _, tc := range []struct{ public, want string }{
		{"", "/orders/"},
		{"http://query.example:8081", "http://query.example:8081/orders/"},
		{"https://pizzeria.example/read/", "https://pizzeria.example/read/orders/"},
	} {
		h := newHarness(t, func(_ *harness, c *Config) { c.Queries, c.PublicQueryURL = nil, tc.public })
		rec := h.do("POST", "/orders", `{"count":1}`, "Content-Type", jsonCT)
		if rec.Code != http.StatusAccepted {
			t.Fatalf("%d %s", rec.Code, rec.Body)
		}
		var placed struct {
			OrderID string `json:"order_id"`
		}
		decodeJSON(t, rec, &placed)
		if loc := rec.Header().Get("Location"); loc != tc.want+placed.OrderID {
			t.Errorf("public URL %q: Location %q, want %q", tc.public, loc, tc.want+placed.OrderID)
		}
	}
}

func TestPublicQueryURLMustBeAbsolute(t *testing.T) {
	for _, bad := range []string{"query:8081", "/orders", "ftp://x", "http://q.example/?a=1"} {
		err := Config{PublicQueryURL: bad}.Validate()
		if err == nil || !strings.Contains(err.Error(), "PublicQueryURL") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}
