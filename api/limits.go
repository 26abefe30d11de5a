package api

import (
	"errors"
	"net/http"
	"net/netip"
	"sync"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
)

const (
	// DefaultMaxInFlightPerClient bounds the requests one address has
	// being handled at once unless configured otherwise.
	DefaultMaxInFlightPerClient = 64
	// DefaultMaxHolders bounds the requests held open at once (waiting for
	// an order, or streaming) unless configured otherwise.
	DefaultMaxHolders = 1024
)

var (
	// errBusyClient: this client has too many requests in progress.
	errBusyClient = errors.New("too many requests from one client")
	// errHoldersFull: every slot for a held-open request is taken.
	errHoldersFull = errors.New("too many requests held open")
)

// clientGate counts the requests each client address has in flight.
// Safe for concurrent use.
type clientGate struct {
	max int
	mu  sync.Mutex
	n   map[netip.Addr]int
}

func (g *clientGate) enter(a netip.Addr) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.n[a] >= g.max {
		return false
	}
	if g.n == nil {
		g.n = make(map[netip.Addr]int)
	}
	g.n[a]++
	return true
}

func (g *clientGate) leave(a netip.Addr) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.n[a]--; g.n[a] <= 0 {
		delete(g.n, a)
	}
}

// limitClient answers 429 to a client with MaxInFlightPerClient requests
// already in progress, and bounds every request body to MaxBodyBytes.
func (s *server) limitClient(c *gin.Context) {
	if streamRoutes[c.FullPath()] {
		// Live streams stay open for as long as the client watches: they
		// have a cap of their own (Config.MaxStreams), and counting them
		// here would let one busy board starve its own orders.
		c.Next()
		return
	}
	a := netip.Addr{}
	if ap, err := netip.ParseAddrPort(c.Request.RemoteAddr); err == nil {
		a = ap.Addr().Unmap()
	}
	if !s.inFlight.enter(a) {
		s.fail(c, errBusyClient)
		return
	}
	defer s.inFlight.leave(a)
	if c.Request.Body != nil {
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, s.cfg.MaxBodyBytes)
	}
	c.Next()
}

// hold takes one of the MaxHolders slots for a request that stays open
// (a ?wait, a stream); it reports false when none is free. The caller
// must call release when done.
func (s *server) hold() (release func(), ok bool) {
	select {
	case s.holders <- struct{}{}:
		s.held.Inc()
		return func() { s.held.Dec(); <-s.holders }, true
	default:
		return nil, false
	}
}

// newHeldGauge counts the requests held open, shared by every handler on
// the registry.
func newHeldGauge(reg *prometheus.Registry) (prometheus.Gauge, error) {
	return register(reg, prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "pizzeria_http_held_requests",
		Help: "Requests held open (waiting for an order, streaming); at most MaxHolders per handler.",
	}))
}

// streamRoutes are the routes that hold a Server-Sent Events stream open.
var streamRoutes = map[string]bool{"/orders/:id/events": true, "/kitchen/events": true}
