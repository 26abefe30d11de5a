package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"syscall"
)

// errNoKitchenStream means the binary does not serve GET /kitchen/events.
var errNoKitchenStream = errors.New("GET /kitchen/events answered 404 Not Found: this binary has no kitchen stream")

// streams are open GET /kitchen/events clients that read and discard
// what they are sent, as watching browsers would.
type streams struct {
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	open    atomic.Int64 // streams still being read
	dropped atomic.Int64 // streams the server ended while we read
	frames  atomic.Int64 // events received, over every stream
}

// openStreams opens n kitchen streams on base and returns once every one
// has answered 200. Streams come from several loopback source addresses
// (see newClient), so the server's per-address caps count them as the
// many clients they stand for.
func openStreams(base string, n int) (*streams, error) {
	ctx, cancel := context.WithCancel(context.Background())
	s := &streams{cancel: cancel}
	// No client timeout: a stream lives as long as the run.
	c := &http.Client{Transport: &http.Transport{DialContext: spreadDialer(), DisableCompression: true}}
	errs := make(chan error, n)
	gate := make(chan struct{}, 64) // opening, not holding: do not flood the listener's backlog
	for range n {
		gate <- struct{}{}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			body, err := openStream(ctx, c, base+"/kitchen/events")
			<-gate
			errs <- err
			if err != nil {
				return
			}
			s.open.Add(1)
			s.read(ctx, body)
			s.open.Add(-1)
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			s.stop()
			return nil, err
		}
	}
	return s, nil
}

func openStream(ctx context.Context, c *http.Client, url string) (io.ReadCloser, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "text/event-stream")
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode == http.StatusNotFound {
		resp.Body.Close()
		return nil, errNoKitchenStream
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("GET /kitchen/events: %s", resp.Status)
	}
	return resp.Body, nil
}

// read counts the events of one stream (a blank line ends an event that
// had data; heartbeats are comments) until the stream ends.
func (s *streams) read(ctx context.Context, body io.ReadCloser) {
	defer body.Close()
	r := bufio.NewReaderSize(body, 16<<10)
	data := false
	for {
		line, err := r.ReadSlice('\n')
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			if ctx.Err() == nil {
				s.dropped.Add(1)
			}
			return
		}
		switch {
		case len(line) > 5 && string(line[:5]) == "data:":
			data = true
		case (len(line) == 1 || string(line) == "\r\n") && data:
			s.frames.Add(1)
			data = false
		}
	}
}

// stop closes every stream and waits for its reader.
func (s *streams) stop() {
	s.cancel()
	s.wg.Wait()
}

// fdRoom checks that this process may open n more files: every stream is
// one socket here and one in the server.
func fdRoom(n int) error {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return err
	}
	if lim.Cur < uint64(n)+512 {
		return fmt.Errorf("%d streams need more open files than ulimit -n allows (%d); raise it", n, lim.Cur)
	}
	return nil
}
