package api

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
)

// Defaults of the live streams (Server-Sent Events).
const (
	// DefaultMaxStreams caps the streams open at once on one node.
	DefaultMaxStreams = 2048
	// DefaultHeartbeat is how often an idle stream sends a comment line, so
	// that proxies and clients see it alive.
	DefaultHeartbeat = 15 * time.Second
	// streamWriteTimeout is how long one write to a stream may block before
	// the client counts as stalled and its stream is closed.
	streamWriteTimeout = 10 * time.Second
	// retryMillis is the reconnection delay suggested to EventSource clients.
	retryMillis = 2000
)

var errTooManyStreams = errors.New("too many streams")

// sseMetrics count live streams.
type sseMetrics struct {
	open    prometheus.Gauge
	refused prometheus.Counter
}

func newSSEMetrics(reg *prometheus.Registry) (*sseMetrics, error) {
	open, err := register(reg, prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "pizzeria_sse_streams_open",
		Help: "Live streams (Server-Sent Events) open now.",
	}))
	if err != nil {
		return nil, err
	}
	refused, err := register(reg, prometheus.NewCounter(prometheus.CounterOpts{
		Name: "pizzeria_sse_streams_refused_total",
		Help: "Live streams refused because the node had as many open as it serves.",
	}))
	return &sseMetrics{open: open, refused: refused}, err
}

// streamSlots caps concurrent streams. Safe for concurrent use.
type streamSlots struct {
	open atomic.Int64
	max  int64
}

func (s *streamSlots) acquire() bool {
	if s.open.Add(1) > s.max {
		s.open.Add(-1)
		return false
	}
	return true
}

func (s *streamSlots) release() { s.open.Add(-1) }

// sse writes one text/event-stream response. Each write carries its own
// deadline: a client that stops reading fails the write instead of holding
// the handler (and never anything upstream of it) forever. The server's
// overall write timeout is lifted for the stream's life.
type sse struct {
	w  gin.ResponseWriter
	rc *http.ResponseController
}

// startSSE takes a stream slot and sends the headers; on failure it has
// answered with a problem and reports false. The caller must call done.
func (s *server) startSSE(c *gin.Context) (*sse, bool) {
	if !s.streams.acquire() {
		s.sse.refused.Inc()
		s.fail(c, errTooManyStreams)
		return nil, false
	}
	s.sse.open.Inc()
	h := c.Writer.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // ask nginx-style proxies not to buffer
	c.Status(http.StatusOK)
	st := &sse{w: c.Writer, rc: http.NewResponseController(c.Writer)}
	if err := st.write(fmt.Sprintf("retry: %d\n\n", retryMillis)); err != nil {
		return st, false
	}
	return st, true
}

func (s *server) doneSSE() {
	s.streams.release()
	s.sse.open.Dec()
}

// event sends one event; data must be a single line (JSON is).
func (st *sse) event(id, name string, data []byte) error {
	var b strings.Builder
	if id != "" {
		b.WriteString("id: " + id + "\n")
	}
	b.WriteString("event: " + name + "\ndata: ")
	b.Write(data)
	b.WriteString("\n\n")
	return st.write(b.String())
}

// heartbeat sends a comment line that clients ignore.
func (st *sse) heartbeat() error { return st.write(": ping\n\n") }

func (st *sse) write(s string) error {
	// Not every writer supports deadlines (recorders in tests do not);
	// those that do get one per write.
	_ = st.rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout))
	if _, err := st.w.WriteString(s); err != nil {
		return err
	}
	return st.rc.Flush()
}
