package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/pizzeria/pizzeria/command"
	"github.com/pizzeria/pizzeria/query"
)

const problemContentType = "application/problem+json"

// retryAfterSeconds is what a client is told to wait after a 503.
const retryAfterSeconds = "5"

// Errors raised by the HTTP layer itself, before any command or query runs.
// Each is wrapped by a requestError carrying the detail for the client.
var (
	errBadRequest       = errors.New("bad request")
	errUnsupportedMedia = errors.New("unsupported media type")
	errTooLarge         = errors.New("request body too large")
	errNoRoute          = errors.New("no such route")
	errNoMethod         = errors.New("method not allowed")
	errUnauthorized     = errors.New("unauthorized")
	errJobRunning       = errors.New("a job is already running")
	errNoJob            = errors.New("no such job")
)

// requestError is a client mistake found by the HTTP layer: kind says which
// (one of the errors above), detail tells the client what to change.
type requestError struct {
	kind   error
	detail string
}

func (e *requestError) Error() string { return e.kind.Error() + ": " + e.detail }
func (e *requestError) Unwrap() error { return e.kind }

func badRequest(format string, args ...any) error {
	return &requestError{kind: errBadRequest, detail: fmt.Sprintf(format, args...)}
}

// problem is an RFC 9457 problem document; RequestID is an extension member
// that lets an operator find the request's log line.
type problem struct {
	Type      string `json:"type"`
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Detail    string `json:"detail"`
	Instance  string `json:"instance,omitempty"`
	RequestID string `json:"request_id,omitempty"`
}

func typeURI(slug string) string { return "urn:pizzeria:problem:" + slug }

// problemFor is the one place errors become HTTP statuses. Details come
// from the HTTP layer's own messages or from domain errors written for
// people (invalid count, invalid key); anything else gets a fixed text, so
// no internal error text reaches a client.
func problemFor(err error) problem {
	var (
		status       int
		slug, detail string
	)
	switch {
	case errors.Is(err, errBadRequest):
		status, slug, detail = http.StatusBadRequest, "invalid-request", "the request is malformed"
	case errors.Is(err, errUnsupportedMedia):
		status, slug, detail = http.StatusUnsupportedMediaType, "unsupported-media-type", "send the body as application/json"
	case errors.Is(err, errTooLarge):
		status, slug, detail = http.StatusRequestEntityTooLarge, "body-too-large", "the request body is too large"
	case errors.Is(err, errNoRoute):
		status, slug, detail = http.StatusNotFound, "no-such-route", "there is no resource at this path; see /openapi.json for the routes"
	case errors.Is(err, errNoMethod):
		status, slug, detail = http.StatusMethodNotAllowed, "method-not-allowed", "this path does not accept this method; the Allow header lists those it does"
	case errors.Is(err, errBusyClient):
		status, slug, detail = http.StatusTooManyRequests, "too-many-requests", "this client has too many requests in progress; wait for some to finish"
	case errors.Is(err, errHoldersFull):
		status, slug, detail = http.StatusServiceUnavailable, "busy", "too many requests are waiting for orders right now; retry shortly, or ask without ?wait"
	case errors.Is(err, errJobRunning):
		status, slug, detail = http.StatusConflict, "job-running", "a job of this kind is already running"
	case errors.Is(err, errNoJob):
		status, slug, detail = http.StatusNotFound, "no-such-job", "no job with this id; jobs are kept in memory, the last few only, until a restart"
	case errors.Is(err, errUnauthorized):
		status, slug, detail = http.StatusUnauthorized, "unauthorized", "send the admin token as 'Authorization: Bearer <token>'"
	case errors.Is(err, errTooManyStreams):
		status, slug, detail = http.StatusServiceUnavailable, "too-many-streams", "this node has as many live streams open as it serves; retry in a few seconds, or use another node"
	case errors.Is(err, command.ErrInvalidCount):
		status, slug, detail = http.StatusBadRequest, "invalid-count", err.Error()
	case errors.Is(err, command.ErrInvalidIdempotencyKey):
		status, slug, detail = http.StatusBadRequest, "invalid-idempotency-key", err.Error()
	case errors.Is(err, command.ErrIdempotencyKeyReused):
		status, slug, detail = http.StatusUnprocessableEntity, "idempotency-key-reused", err.Error()
	case errors.Is(err, command.ErrUnavailable):
		status, slug, detail = http.StatusServiceUnavailable, "unavailable", "the event log did not accept the order and nothing was stored; retry after a few seconds"
	case errors.Is(err, query.ErrOrderNotFound):
		status, slug, detail = http.StatusNotFound, "order-not-found", "no order with this id has been seen; a new order appears within moments of being placed"
	case errors.Is(err, query.ErrInvalidCursor):
		status, slug, detail = http.StatusBadRequest, "invalid-cursor", "the cursor is not one this service issued; start again without a cursor"
	case errors.Is(err, ErrReplayRunning):
		status, slug, detail = http.StatusConflict, "rebuild-in-progress", "a rebuild is already running; wait for it to finish"
	case errors.Is(err, ErrReplayRefused):
		status, slug, detail = http.StatusConflict, "empty-log", "the log holds fewer events than the views were built from, so the rebuild was refused and the views left as they were; check the node's topic prefix and broker"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		status, slug, detail = http.StatusServiceUnavailable, "timeout", "the request was cancelled or ran out of time; retry"
	default:
		status, slug, detail = http.StatusInternalServerError, "internal", "an unexpected error occurred; it has been logged under this request's id"
	}
	var re *requestError
	if errors.As(err, &re) {
		detail = re.detail
	}
	return problem{Type: typeURI(slug), Title: http.StatusText(status), Status: status, Detail: detail}
}

// fail ends the request with the problem document for err. Server-side
// failures are logged with the real error, which the client never sees.
func (s *server) fail(c *gin.Context, err error) {
	p := problemFor(err)
	p.Instance = c.Request.URL.EscapedPath()
	p.RequestID = requestID(c)
	if p.Status >= 500 {
		level := slog.LevelWarn // the log or the client is having a moment
		switch {
		case p.Status == http.StatusInternalServerError:
			level = slog.LevelError
		case errors.Is(err, command.ErrUnavailable):
			// Failing writes are logged once per spell where they are
			// watched, not once per refused order.
			level = slog.LevelDebug
		}
		s.log.Log(c.Request.Context(), level, "request failed",
			"request_id", p.RequestID, "route", routeOf(c), "status", p.Status, "error", err)
	}
	s.writeProblem(c, p)
}

func (s *server) writeProblem(c *gin.Context, p problem) {
	switch p.Status {
	case http.StatusServiceUnavailable, http.StatusTooManyRequests:
		c.Header("Retry-After", retryAfterSeconds)
	case http.StatusUnauthorized:
		c.Header("WWW-Authenticate", `Bearer realm="pizzeria-admin"`)
	}
	body, err := json.Marshal(p)
	if err != nil { // a problem holds only strings and an int
		panic(err)
	}
	c.Data(p.Status, problemContentType, body)
	c.Abort()
}

func (s *server) noRoute(c *gin.Context)  { s.fail(c, errNoRoute) }
func (s *server) noMethod(c *gin.Context) { s.fail(c, errNoMethod) }
