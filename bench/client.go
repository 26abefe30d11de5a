package main

import (
	"context"
	"net"
	"net/http"
	"sync/atomic"
	"time"
)

// loopbackSources is how many 127.0.0.x addresses the driver's connections
// come from. The server bounds connections and in-flight requests per
// client address (a defence against one hostile client); a bench stands for
// many users, so it spreads its connections over several source addresses
// instead of tripping those caps from 127.0.0.1 alone.
const loopbackSources = 128

// newClient is an HTTP client that reuses connections (the driver must not
// spend its CPU on handshakes) and dials loopback servers from
// loopbackSources addresses in turn.
func newClient(idlePerHost int) *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			DialContext:         spreadDialer(),
			MaxIdleConnsPerHost: idlePerHost,
			DisableCompression:  true,
		},
		Timeout: 2 * time.Minute,
	}
}

// spreadDialer dials a loopback address from 127.0.0.2, 127.0.0.3, … in
// turn (every 127/8 address is local on Linux); other addresses are dialled
// as usual.
func spreadDialer() func(ctx context.Context, network, addr string) (net.Conn, error) {
	var n atomic.Uint32
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		d := net.Dialer{Timeout: 5 * time.Second}
		if host, _, err := net.SplitHostPort(addr); err == nil {
			if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() && ip.To4() != nil {
				i := n.Add(1) % loopbackSources
				d.LocalAddr = &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(2+i))}
			}
		}
		return d.DialContext(ctx, network, addr)
	}
}
