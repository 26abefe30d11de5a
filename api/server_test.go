package api

import (
	"io"
	"net"
	"testing"
	"time"
)

// acceptAll accepts from ln until it closes, sending each connection on.
func acceptAll(ln net.Listener) <-chan net.Conn {
	out := make(chan net.Conn, 16)
	go func() {
		defer close(out)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			out <- c
		}
	}()
	return out
}

// refusedAtOnce reports whether the server closed c without a word.
func refusedAtOnce(t *testing.T, c net.Conn) bool {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, err := c.Read(make([]byte, 1))
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		return false
	}
	return err != nil
}

func TestTheListenerCapsConnectionsInAll(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	limits := DefaultLimits()
	limits.MaxConns, limits.MaxConnsPerClient = 2, 10
	guarded := LimitListener(ln, limits)
	defer guarded.Close()
	accepted := acceptAll(guarded)
	dial := func() net.Conn {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	dial()
	dial()
	first := <-accepted
	<-accepted
	// The reset may even beat the handshake's end on loopback.
	if third, err := net.Dial("tcp", ln.Addr().String()); err == nil {
		defer third.Close()
		if !refusedAtOnce(t, third) {
			t.Fatal("a third connection was kept with the cap at 2")
		}
	}
	for deadline := time.Now().Add(10 * time.Second); guarded.Refused() == 0 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	if guarded.Refused() != 1 {
		t.Fatalf("%d refused, want 1", guarded.Refused())
	}
	first.Close() // gives its place back
	fourth := dial()
	select {
	case c := <-accepted:
		c.Write([]byte("x"))
		if _, err := io.ReadFull(fourth, make([]byte, 1)); err != nil {
			t.Fatalf("the connection after a place was freed: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no connection accepted after a place was freed")
	}
}
