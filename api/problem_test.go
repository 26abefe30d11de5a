package api

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/pizzeria/pizzeria/command"
	"github.com/pizzeria/pizzeria/query"
)

// Every sentinel error maps to its status in the one mapping function, and
// internal text never leaks.
func TestProblemFor(t *testing.T) {
	cases := []struct {
		err    error
		status int
	}{
		{fmt.Errorf("%w: 0 pizzas", command.ErrInvalidCount), http.StatusBadRequest},
		{command.ErrInvalidIdempotencyKey, http.StatusBadRequest},
		{fmt.Errorf("%w: dial tcp: refused", command.ErrUnavailable), http.StatusServiceUnavailable},
		{query.ErrOrderNotFound, http.StatusNotFound},
		{query.ErrInvalidCursor, http.StatusBadRequest},
		{ErrReplayRunning, http.StatusConflict},
		{ErrReplayRefused, http.StatusConflict},
		{errors.New("bbolt: /var/lib/secret/views.db: disk full"), http.StatusInternalServerError},
	}
	for _, tc := range cases {
		p := problemFor(tc.err)
		if p.Status != tc.status || p.Detail == "" || p.Type == "" {
			t.Errorf("%v → %+v, want status %d", tc.err, p, tc.status)
		}
		if strings.Contains(p.Detail, "dial tcp") || strings.Contains(p.Detail, "/var/lib") {
			t.Errorf("%v leaks internal text: %q", tc.err, p.Detail)
		}
	}
}
