package api

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"sync"
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
	if c.Request.ProtoMajor == 1 {
		// The stream ends when the connection does, so it needs no chunked
		// framing: without it, each flush is one write to the socket
		// however many events it carries (net/http's chunk header sits in
		// its 4 KiB buffer and splits a larger write in two).
		h.Set("Transfer-Encoding", "identity")
	}
	c.Status(http.StatusOK)
	st := &sse{w: c.Writer, rc: http.NewResponseController(c.Writer)}
	if err := st.send(retryLine); err != nil {
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
	return st.send(encodeEvent(id, name, data))
}

// encodeEvent is one event as the stream carries it; data must be a
// single line (JSON is).
func encodeEvent(id, name string, data []byte) []byte {
	b := make([]byte, 0, len(id)+len(name)+len(data)+20)
	if id != "" {
		b = append(append(append(b, "id: "...), id...), '\n')
	}
	b = append(append(append(b, "event: "...), name...), "\ndata: "...)
	return append(append(b, data...), "\n\n"...)
}

// heartbeat sends a comment line that clients ignore.
func (st *sse) heartbeat() error { return st.send(pingLine) }

// The fixed lines a stream sends; nothing writes to them.
var (
	retryLine = fmt.Appendf(nil, "retry: %d\n\n", retryMillis)
	pingLine  = []byte(": ping\n\n")
)

// send writes parts and flushes once: one write to the socket however
// many events they hold. parts must not be empty.
func (st *sse) send(parts ...[]byte) error {
	// Not every writer supports deadlines (recorders in tests do not);
	// those that do get one per write.
	_ = st.rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout))
	b := parts[0]
	if len(parts) > 1 {
		// One write: bytes handed over in pieces are copied into the
		// server's buffers and flushed each time those fill.
		b = bytes.Join(parts, nil)
	}
	if _, err := st.w.Write(b); err != nil {
		return err
	}
	return st.rc.Flush()
}

// pulse is the heartbeat clock every stream of a server shares: a channel
// closed at each beat. One timer runs, and only while some stream waits
// on it; a stream costs no timer of its own. Safe for concurrent use.
type pulse struct {
	every time.Duration
	mu    sync.Mutex
	ch    chan struct{} // closed at the next beat; nil when nobody waits
}

// next returns a channel closed at the next beat, at most every from now.
func (p *pulse) next() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ch == nil {
		p.ch = make(chan struct{})
		time.AfterFunc(p.every, p.beat)
	}
	return p.ch
}

func (p *pulse) beat() {
	p.mu.Lock()
	defer p.mu.Unlock()
	close(p.ch)
	p.ch = nil
}
