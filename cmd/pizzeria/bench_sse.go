package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// openSSEClients opens n streams of GET /kitchen/events on baseURL and
// reads them until stop is called, as n watching browsers would. It
// returns once every stream has answered 200; stop closes them all and
// waits for their readers.
func openSSEClients(ctx context.Context, baseURL string, n int) (stop func(), err error) {
	ctx, cancel := context.WithCancel(ctx)
	// One connection per stream: the default transport keeps only a few
	// idle connections per host, and each stream holds its own.
	client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 0, MaxIdleConnsPerHost: n, DisableCompression: true}}
	var wg sync.WaitGroup
	stop = func() {
		cancel()
		wg.Wait()
		client.CloseIdleConnections()
	}
	opened := make(chan error, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body, err := openSSE(ctx, client, baseURL+"/kitchen/events")
			opened <- err
			if err != nil {
				return
			}
			defer body.Close()
			r := bufio.NewReaderSize(body, 4096)
			for {
				if _, err := r.ReadSlice('\n'); err != nil && !errors.Is(err, bufio.ErrBufferFull) {
					return
				}
			}
		}()
	}
	var errs []error
	timeout := time.After(30 * time.Second)
	for range n {
		select {
		case err := <-opened:
			if err != nil {
				errs = append(errs, err)
			}
		case <-timeout:
			errs = append(errs, fmt.Errorf("not every stream opened within 30s"))
		}
		if len(errs) > 0 {
			break
		}
	}
	if len(errs) > 0 {
		stop()
		return nil, fmt.Errorf("opening %d kitchen streams: %w", n, errors.Join(errs...))
	}
	return stop, nil
}

func openSSE(ctx context.Context, client *http.Client, url string) (io.ReadCloser, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "text/event-stream")
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return resp.Body, nil
}
