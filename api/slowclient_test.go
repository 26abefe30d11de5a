//go:build linux

package api

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Linux only: the other client dials from 127.0.0.2, which Linux routes
// to loopback without configuration.

// floodSize is how many slow connections the hostile client keeps trying
// to hold: a few thousand, within the file descriptors this process may
// open (each costs one here, and one on the server side while admitted).
func floodSize(t *testing.T) int {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	n := min(3000, (int(lim.Cur)-512)/2)
	if n < 500 {
		t.Fatalf("the file descriptor limit (%d) is too low for this test; raise ulimit -n", lim.Cur)
	}
	return n
}

func TestSlowClientsFromOneAddressCannotStarveOthers(t *testing.T) {
	h := newHarness(t)
	limits := DefaultLimits()
	limits.MaxConnsPerClient = 32
	limits.MaxConns = 256
	limits.ReadHeaderTimeout = 2 * time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	guarded := LimitListener(ln, limits)
	srv := NewServer(h.handler, limits, nil)
	go srv.Serve(guarded)
	defer srv.Close()
	addr := ln.Addr().String()

	// The hostile client: from 127.0.0.1, each of n goroutines opens a
	// connection and dribbles a request line one byte at a time, opening
	// another whenever the server closes it.
	n := floodSize(t)
	ctx, stop := context.WithCancel(context.Background())
	var hostile sync.WaitGroup
	for range n {
		hostile.Go(func() {
			for ctx.Err() == nil {
				c, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
				if err != nil {
					time.Sleep(50 * time.Millisecond)
					continue
				}
				go func() { <-ctx.Done(); c.Close() }()
				for _, b := range []byte("POST /orders HTTP/1.1\r\nHost: x\r\n") {
					if _, err := c.Write([]byte{b}); err != nil || ctx.Err() != nil {
						break
					}
					select {
					case <-time.After(100 * time.Millisecond):
					case <-ctx.Done():
					}
				}
				c.Close()
				// Re-open, but not in a tight loop: the point is slow
				// connections, not a connect flood, which would fill the
				// kernel's accept queue before this process sees it.
				time.Sleep(500 * time.Millisecond)
			}
		})
	}
	defer func() { stop(); hostile.Wait() }()

	// Let the flood build up until the cap turns the hostile client away.
	for deadline := time.Now().Add(30 * time.Second); guarded.Refused() < uint64(n); {
		if time.Now().After(deadline) {
			t.Fatalf("only %d hostile connections were refused in 30s", guarded.Refused())
		}
		time.Sleep(10 * time.Millisecond)
	}

	// Another client, from another address, places orders meanwhile.
	client := &http.Client{
		Timeout: 15 * time.Second, // generous: the point is that it is not starved
		Transport: &http.Transport{DialContext: (&net.Dialer{
			LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)},
		}).DialContext},
	}
	const orders = 20
	for i := range orders {
		resp, err := client.Post("http://"+addr+"/orders", "application/json", strings.NewReader(`{"count": 2}`))
		if err != nil {
			t.Fatalf("order %d during the flood: %v (refused so far: %d)", i, err, guarded.Refused())
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("order %d during the flood: %d", i, resp.StatusCode)
		}
	}
	if got := h.end(); got != orders {
		t.Fatalf("%d orders in the log, want %d", got, orders)
	}
	refused := guarded.Refused()
	stop()
	hostile.Wait()
	t.Logf("%d hostile goroutines; %d of their connections refused at once; %d orders placed meanwhile", n, refused, orders)
}
