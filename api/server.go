package api

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pizzeria/pizzeria/query"
)

// Limits bound what clients can hold of an HTTP server, so that slow or
// hostile ones cannot starve the rest. A client is a remote IP address;
// forwarding headers are not trusted.
type Limits struct {
	// MaxConns is how many connections may be open at once in all; more
	// are closed as soon as they are accepted.
	MaxConns int
	// MaxConnsPerClient is how many connections one address may hold;
	// more are closed as soon as they are accepted.
	MaxConnsPerClient int
	// ReadHeaderTimeout bounds the wait for a request's headers, and
	// ReadTimeout for the whole request including its body.
	ReadHeaderTimeout, ReadTimeout time.Duration
	// IdleTimeout closes keep-alive connections left unused.
	IdleTimeout time.Duration
	// MaxHeaderBytes bounds the request line and headers.
	MaxHeaderBytes int
}

// DefaultLimits suit one node serving many clients directly. Behind a proxy
// every client shares the proxy's address: raise MaxConnsPerClient there.
func DefaultLimits() Limits {
	return Limits{
		MaxConns:          4096,
		MaxConnsPerClient: 256,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    32 << 10,
	}
}

// Validate reports every problem with the limits at once.
func (l Limits) Validate() error {
	var errs []error
	if l.MaxConns < 1 || l.MaxConnsPerClient < 1 {
		errs = append(errs, errors.New("api: MaxConns and MaxConnsPerClient must be at least 1"))
	}
	if l.ReadHeaderTimeout <= 0 || l.ReadTimeout <= 0 || l.IdleTimeout <= 0 {
		errs = append(errs, errors.New("api: the read and idle timeouts must be positive"))
	}
	if l.MaxHeaderBytes < 1 {
		errs = append(errs, errors.New("api: MaxHeaderBytes must be positive"))
	}
	return errors.Join(errs...)
}

// NewServer is an http.Server for h with l's timeouts. Writes may take up
// to query.MaxWait plus a margin, for requests that wait for an order.
// base, if not nil, is the parent context of every request.
func NewServer(h http.Handler, l Limits, base context.Context) *http.Server {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: l.ReadHeaderTimeout,
		ReadTimeout:       l.ReadTimeout,
		WriteTimeout:      query.MaxWait + 15*time.Second,
		IdleTimeout:       l.IdleTimeout,
		MaxHeaderBytes:    l.MaxHeaderBytes,
	}
	if base != nil {
		srv.BaseContext = func(net.Listener) context.Context { return base }
	}
	return srv
}

// LimitListener wraps ln so that it never hands out more than l.MaxConns
// connections at once, nor more than l.MaxConnsPerClient from one
// address. An excess connection is reset at once rather than queued, so a
// flood from one address costs a file descriptor for microseconds and
// never delays other clients' connections behind it.
func LimitListener(ln net.Listener, l Limits) *ConnLimiter {
	return &ConnLimiter{Listener: ln, max: l.MaxConns, perClient: l.MaxConnsPerClient, open: map[netip.Addr]int{}}
}

// ConnLimiter is a listener that caps connections; see LimitListener.
// Safe for concurrent use.
type ConnLimiter struct {
	net.Listener
	max, perClient int

	mu      sync.Mutex
	total   int
	open    map[netip.Addr]int
	refused atomic.Uint64
}

// Accept returns the next connection within the limits, closing those
// beyond them.
func (l *ConnLimiter) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		addr := clientAddr(c.RemoteAddr())
		if l.admit(addr) {
			return &limitedConn{Conn: c, release: func() { l.leave(addr) }}, nil
		}
		l.refused.Add(1)
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetLinger(0) // reset: no TIME_WAIT kept for a refused client
		}
		_ = c.Close()
	}
}

// Refused is how many connections were closed for exceeding a limit.
func (l *ConnLimiter) Refused() uint64 { return l.refused.Load() }

func (l *ConnLimiter) admit(a netip.Addr) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.total >= l.max || l.open[a] >= l.perClient {
		return false
	}
	l.total++
	l.open[a]++
	return true
}

func (l *ConnLimiter) leave(a netip.Addr) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.total--
	if l.open[a]--; l.open[a] <= 0 {
		delete(l.open, a)
	}
}

// limitedConn gives its place back once, when closed.
type limitedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}

// clientAddr is the IP of a remote address, IPv4-mapped addresses unmapped
// so one client counts once; the zero Addr when there is none.
func clientAddr(a net.Addr) netip.Addr {
	if ap, err := netip.ParseAddrPort(a.String()); err == nil {
		return ap.Addr().Unmap()
	}
	return netip.Addr{}
}
