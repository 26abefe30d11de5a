package api

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/pizzeria/pizzeria/web"
)

// sseFrame is one event read from a stream.
type sseFrame struct {
	id, name, data string
}

// sseReader reads frames from a live stream.
type sseReader struct {
	t    *testing.T
	resp *http.Response
	r    *bufio.Reader
}

// openStream opens path on srv with optional Last-Event-ID and checks the
// stream started.
func openStream(t *testing.T, srv *httptest.Server, path, lastID string) *sseReader {
	t.Helper()
	req, err := http.NewRequest("GET", srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("%s: %d %s: %s", path, resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
	return &sseReader{t: t, resp: resp, r: bufio.NewReader(resp.Body)}
}

// next returns the next event (skipping comments and retry lines), or
// io.EOF once the server ended the stream.
func (s *sseReader) next() (sseFrame, error) {
	var f sseFrame
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			return f, err
		}
		line = strings.TrimRight(line, "\n")
		switch {
		case line == "":
			if f.name != "" {
				return f, nil
			}
		case strings.HasPrefix(line, "id: "):
			f.id = line[4:]
		case strings.HasPrefix(line, "event: "):
			f.name = line[7:]
		case strings.HasPrefix(line, "data: "):
			f.data = line[6:]
		}
	}
}

// nextNamed skips frames until one called name.
func (s *sseReader) nextNamed(name string) sseFrame {
	s.t.Helper()
	for {
		f, err := s.next()
		if err != nil {
			s.t.Fatalf("waiting for a %q frame: %v", name, err)
		}
		if f.name == name {
			return f
		}
	}
}

func streamHarness(t *testing.T, opts ...func(*harness, *Config)) (*harness, *httptest.Server) {
	t.Helper()
	all := append([]func(*harness, *Config){func(h *harness, c *Config) {
		c.Watcher = h.store.Notifier()
		c.Heartbeat = 50 * time.Millisecond
	}}, opts...)
	h := newHarness(t, all...)
	srv := httptest.NewUnstartedServer(h.handler)
	srv.Listener = smallBuffers{srv.Listener}
	srv.Start()
	t.Cleanup(srv.CloseClientConnections)
	t.Cleanup(srv.Close)
	return h, srv
}

func withFeed(buffer int, out **KitchenFeed) func(*harness, *Config) {
	return func(h *harness, c *Config) {
		feed, err := NewKitchenFeed(KitchenFeedConfig{CheeseReport: c.Queries.CheeseReport, ClientBuffer: buffer,
			Interval: 100 * time.Millisecond, Registry: c.Registry})
		if err != nil {
			h.t.Fatal(err)
		}
		cancel := h.store.Observe(feed.Observe)
		h.t.Cleanup(func() { cancel(); feed.Close() })
		c.Kitchen = feed
		if out != nil {
			*out = feed
		}
	}
}

// withLive serves every live route: both streams and the board.
func withLive(h *harness, c *Config) {
	c.Watcher = h.store.Notifier()
	withFeed(0, nil)(h, c)
	c.Board = web.Handler()
}

func TestOrderStreamFollowsTheOrderAndEndsOnCompletion(t *testing.T) {
	h, srv := streamHarness(t)
	id := h.order(2)
	evs := h.cook(id)
	h.apply(evs[0])
	s := openStream(t, srv, "/orders/"+id+"/events", "")
	var statuses []string
	last := -1
	for i := 1; ; i++ {
		f, err := s.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		var o orderJSON
		if err := json.Unmarshal([]byte(f.data), &o); err != nil || f.name != "order" || o.OrderID != id {
			t.Fatalf("frame %+v: %v", f, err)
		}
		n, err := strconv.Atoi(f.id)
		if err != nil || n <= last {
			t.Fatalf("event id %q after %d: ids must grow", f.id, last)
		}
		last = n
		statuses = append(statuses, o.Status)
		if i < len(evs) {
			h.apply(evs[i]) // one event at a time, as the kitchen would
		}
	}
	if len(statuses) < 3 || statuses[0] != "placed" || statuses[len(statuses)-1] != "completed" {
		t.Fatalf("statuses %v: want placed, in progress..., completed, then the end of the stream", statuses)
	}
}

func TestOrderStreamResumesFromLastEventID(t *testing.T) {
	h, srv := streamHarness(t)
	id := h.order(1)
	evs := h.cook(id)
	h.apply(evs[:3]...) // placed, ordered, sauce
	first := openStream(t, srv, "/orders/"+id+"/events", "")
	f := first.nextNamed("order")
	first.resp.Body.Close()

	// Nothing changed: a client resuming from the frame it has gets no
	// repeat of it, only what comes next.
	again := openStream(t, srv, "/orders/"+id+"/events", f.id)
	h.apply(evs[3])
	g := again.nextNamed("order")
	if a, _ := strconv.Atoi(f.id); strconv.Itoa(a) == g.id || !strings.Contains(g.data, `"stage":"cheese"`) {
		t.Fatalf("after resuming from %s got %s %s: want the cheese stage, not a repeat", f.id, g.id, g.data)
	}
	again.resp.Body.Close()

	// Changes made while disconnected are in the first frame after reconnecting.
	h.apply(evs[4:]...)
	last := openStream(t, srv, "/orders/"+id+"/events", g.id)
	done := last.nextNamed("order")
	if !strings.Contains(done.data, `"status":"completed"`) {
		t.Fatalf("resumed stream: %s", done.data)
	}
	if _, err := last.next(); err != io.EOF {
		t.Fatalf("the stream of a completed order must end: %v", err)
	}
}

func TestOrderStreamOfAnUnknownOrderIsNotFound(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the order to appear")
	}
	_, srv := streamHarness(t)
	resp, err := srv.Client().Get(srv.URL + "/orders/no-such-order/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("status %d", resp.StatusCode)
	}
}

func TestStreamsOverTheCapAreRefused(t *testing.T) {
	h, srv := streamHarness(t, withFeed(0, nil), func(_ *harness, c *Config) { c.MaxStreams = 1 })
	s := openStream(t, srv, "/kitchen/events", "")
	s.nextNamed("cheese")
	rec := h.do("GET", "/kitchen/events", "")
	p := assertProblem(t, rec, http.StatusServiceUnavailable)
	if !strings.Contains(p.Type, "too-many-streams") || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("problem %+v, Retry-After %q", p, rec.Header().Get("Retry-After"))
	}
}

func TestKitchenStreamResumesFromLastEventID(t *testing.T) {
	h, srv := streamHarness(t, withFeed(0, nil))
	s := openStream(t, srv, "/kitchen/events", "")
	first := h.cooked(1)
	f := s.nextNamed("placed")
	if ids := orderIDs(t, f); len(ids) != 1 || ids[0] != first {
		t.Fatalf("placed frame %s, want order %s", f.data, first)
	}
	s.resp.Body.Close()

	var missed []string
	for range 5 {
		missed = append(missed, h.cooked(2))
	}
	s = openStream(t, srv, "/kitchen/events", f.id)
	var got []string
	for len(got) < len(missed) {
		got = append(got, orderIDs(t, s.nextNamed("placed"))...)
	}
	if strings.Join(got, ",") != strings.Join(missed, ",") {
		t.Fatalf("resumed stream placed %v, want %v", got, missed)
	}
}

// orderIDs lists the orders of a placed or completed frame.
func orderIDs(t *testing.T, f sseFrame) []string {
	t.Helper()
	var list []struct {
		OrderID string `json:"order_id"`
	}
	if err := json.Unmarshal([]byte(f.data), &list); err != nil {
		t.Fatalf("%s frame %q: %v", f.name, f.data, err)
	}
	ids := make([]string, len(list))
	for i, o := range list {
		ids[i] = o.OrderID
	}
	return ids
}

// TestStalledKitchenClientIsDropped: a client that stops reading fills its
// socket and then its buffer and is dropped, while orders keep completing
// and a reading client gets every one of them.
func TestStalledKitchenClientIsDropped(t *testing.T) {
	var feed *KitchenFeed
	h, srv := streamHarness(t, withFeed(16, &feed))
	stalled := dialStalled(t, srv.Listener.Addr().String())
	defer stalled.Close()
	reader := openStream(t, srv, "/kitchen/events", "")

	completions := make(chan int, 1024)
	go func() {
		for {
			f, err := reader.next()
			if err != nil {
				close(completions)
				return
			}
			if f.name == "completed" {
				var list []json.RawMessage
				json.Unmarshal([]byte(f.data), &list) // a bad frame counts 0 and fails the test below
				completions <- len(list)
			}
		}
	}()
	orders := 0
	deadline := time.Now().Add(60 * time.Second)
	for testutil.ToFloat64(feed.dropped) < 1 {
		if time.Now().After(deadline) {
			t.Fatalf("the stalled client was never dropped (%d orders placed)", orders)
		}
		h.cooked(1)
		orders++
	}
	for range 50 { // and the kitchen goes on
		h.cooked(1)
		orders++
	}
	seen := 0
	for seen < orders {
		n, ok := <-completions
		if !ok {
			t.Fatalf("the reading client's stream ended after %d of %d completions", seen, orders)
		}
		seen += n
	}
	if d := testutil.ToFloat64(feed.dropped); d != 1 {
		t.Fatalf("%v clients dropped, want only the stalled one", d)
	}
}

// smallBuffers shrinks the kernel buffers of accepted connections, so a
// client that stops reading stalls the server's writes within kilobytes.
type smallBuffers struct{ net.Listener }

func (l smallBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetWriteBuffer(4096)
	}
	return c, err
}

// dialStalled opens a kitchen stream that is never read.
func dialStalled(t *testing.T, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		return c.Control(func(fd uintptr) { syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
	}}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(c, "GET /kitchen/events HTTP/1.1\r\nHost: %s\r\n\r\n", addr)
	return c
}

// TestStreamsOutliveTheServerWriteTimeout: a stream lifts the server's
// write timeout (which bounds ordinary answers) and keeps sending
// heartbeats past it.
func TestStreamsOutliveTheServerWriteTimeout(t *testing.T) {
	h := newHarness(t, withLive, func(_ *harness, c *Config) { c.Heartbeat = 50 * time.Millisecond })
	srv := httptest.NewUnstartedServer(h.handler)
	srv.Config.WriteTimeout = 300 * time.Millisecond
	srv.Start()
	defer srv.Close()
	defer srv.CloseClientConnections() // streams end only when their client goes
	s := openStream(t, srv, "/kitchen/events", "")
	beats := 0
	end := time.Now().Add(time.Second)
	for time.Now().Before(end) {
		line, err := s.r.ReadString('\n')
		if err != nil {
			t.Fatalf("the stream ended after %d heartbeats: %v", beats, err)
		}
		if line == ": ping\n" {
			beats++
		}
	}
	if beats < 5 {
		t.Fatalf("%d heartbeats in a second, want about 20", beats)
	}
}
