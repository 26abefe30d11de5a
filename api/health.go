package api

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
)

// readyTimeout bounds one readiness check, so a hung dependency reads as
// not ready instead of hanging the probe.
const readyTimeout = 2 * time.Second

type healthJSON struct {
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
}

// healthz is GET /healthz: the process is alive and serving HTTP.
func (s *server) healthz(c *gin.Context) {
	c.JSON(http.StatusOK, healthJSON{Status: "ok"})
}

// readyz is GET /readyz: 200 when Ready says so, else 503 with its reason,
// which is written for operators. It is the one non-problem error body, so
// that probes and people read the same {"status","reason"} either way.
func (s *server) readyz(c *gin.Context) {
	if s.cfg.Ready != nil {
		ctx, cancel := context.WithTimeout(c.Request.Context(), readyTimeout)
		defer cancel()
		if err := s.cfg.Ready(ctx); err != nil {
			c.Header("Retry-After", retryAfterSeconds)
			c.JSON(http.StatusServiceUnavailable, healthJSON{Status: "unready", Reason: err.Error()})
			return
		}
	}
	c.JSON(http.StatusOK, healthJSON{Status: "ready"})
}
