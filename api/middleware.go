package api

import (
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
)

const (
	requestIDHeader = "X-Request-ID"
	requestIDKey    = "pizzeria.request_id"
	maxRequestID    = 128
	// unmatchedRoute labels requests that matched no route, so that
	// arbitrary paths never become log fields or metric labels.
	unmatchedRoute = "unmatched"
)

// observe gives every request an id (the client's X-Request-ID if it is
// sane, a fresh one otherwise), echoes it, and logs one line when the
// request ends. Headers, query strings and bodies are never logged, so
// credentials cannot leak into the log.
func (s *server) observe(c *gin.Context) {
	start := time.Now()
	id := c.GetHeader(requestIDHeader)
	if !validRequestID(id) {
		id = uuid.NewString()
	}
	c.Set(requestIDKey, id)
	c.Header(requestIDHeader, id)
	c.Next()
	s.log.InfoContext(c.Request.Context(), "http request",
		"method", c.Request.Method,
		"route", routeOf(c),
		"status", c.Writer.Status(),
		"latency", time.Since(start),
		"request_id", id,
	)
}

// validRequestID accepts 1..128 printable ASCII characters without spaces,
// which cannot forge log lines or headers.
func validRequestID(id string) bool {
	if id == "" || len(id) > maxRequestID {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] <= ' ' || id[i] >= 0x7f {
			return false
		}
	}
	return true
}

func requestID(c *gin.Context) string { return c.GetString(requestIDKey) }

// routeOf is the route template (/orders/:id), never the raw path.
func routeOf(c *gin.Context) string {
	if r := c.FullPath(); r != "" {
		return r
	}
	return unmatchedRoute
}

// recover turns a panic in a handler into a logged 500 problem. A panic
// with http.ErrAbortHandler is passed on: it asks the server to drop the
// connection.
func (s *server) recover(c *gin.Context) {
	defer func() {
		v := recover()
		if v == nil {
			return
		}
		if err, ok := v.(error); ok && errors.Is(err, http.ErrAbortHandler) {
			panic(v)
		}
		err := fmt.Errorf("panic: %v\n%s", v, debug.Stack())
		if c.Writer.Written() {
			s.log.ErrorContext(c.Request.Context(), "panic after the response began",
				"request_id", requestID(c), "route", routeOf(c), "error", err)
			c.Abort()
			return
		}
		s.fail(c, err)
	}()
	c.Next()
}
