//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// API talks to a kitchen over HTTP: orders go to one base URL, reads and
// admin requests to another (the same in the embedded deployment).
type API struct {
	orders, views string
	hc            *http.Client
}

func newAPI(ordersBase, viewsBase string) *API {
	// No client-wide timeout: every call carries its own deadline.
	return &API{orders: ordersBase, views: viewsBase, hc: &http.Client{Transport: &http.Transport{
		MaxIdleConnsPerHost: 16,
		IdleConnTimeout:     30 * time.Second,
	}}}
}

// Order is the order view as GET /orders/{id} returns it.
type Order struct {
	OrderID     string  `json:"order_id"`
	Count       int     `json:"count"`
	Status      string  `json:"status"`
	PlacedAt    *string `json:"placed_at"`
	CompletedAt *string `json:"completed_at"`
	Pizzas      []Pizza `json:"pizzas"`
}

// Pizza is one pizza of an order view.
type Pizza struct {
	PizzaID string `json:"pizza_id"`
	Sauce   string `json:"sauce"`
	Cheese  string `json:"cheese"`
	Meats   string `json:"meats"`
	Veggies string `json:"veggies"`
	Stage   string `json:"stage"`
}

// CheeseReport is GET /reports/cheese.
type CheeseReport struct {
	Total   int `json:"total"`
	Cheeses []struct {
		Cheese string  `json:"cheese"`
		Count  int     `json:"count"`
		Share  float64 `json:"share"`
	} `json:"cheeses"`
}

// Letter is one dead letter as GET /admin/dead-letters lists it.
type Letter struct {
	Position        string `json:"position"`
	SourceTopic     string `json:"source_topic"`
	SourcePartition string `json:"source_partition"`
	SourceOffset    string `json:"source_offset"`
	Handler         string `json:"handler"`
	Reason          string `json:"reason"`
	EventType       string `json:"event_type"`
	Payload         string `json:"payload"`
	Size            int    `json:"size"`
}

// Response is a finished HTTP exchange.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
	Took   time.Duration
}

func (r Response) String() string {
	return fmt.Sprintf("%d %s", r.Status, bytes.TrimSpace(r.Body))
}

// do sends one request with its own timeout and reads the whole answer.
func (a *API) do(ctx context.Context, timeout time.Duration, method, u string, body []byte, hdr map[string]string) (Response, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return Response{}, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	start := time.Now()
	resp, err := a.hc.Do(req)
	if err != nil {
		return Response{Took: time.Since(start)}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: b, Took: time.Since(start)}, err
}

// PlaceOrder posts one order; key, if not empty, is its Idempotency-Key.
// The order id is set only on 202.
func (a *API) PlaceOrder(ctx context.Context, count int, key string) (string, Response, error) {
	hdr := map[string]string{}
	if key != "" {
		hdr["Idempotency-Key"] = key
	}
	body := fmt.Appendf(nil, `{"count":%d}`, count)
	r, err := a.do(ctx, 30*time.Second, http.MethodPost, a.orders+"/orders", body, hdr)
	if err != nil || r.Status != http.StatusAccepted {
		return "", r, err
	}
	var placed struct {
		OrderID string `json:"order_id"`
	}
	if err := json.Unmarshal(r.Body, &placed); err != nil || placed.OrderID == "" {
		return "", r, fmt.Errorf("202 without an order_id: %s", r)
	}
	return placed.OrderID, r, nil
}

// GetOrder reads an order view, waiting up to wait for it to complete.
// raw is the body exactly as served.
func (a *API) GetOrder(ctx context.Context, id string, wait time.Duration) (o Order, raw []byte, status int, err error) {
	u := a.views + "/orders/" + url.PathEscape(id)
	if wait > 0 {
		u += "?wait=" + wait.String()
	}
	r, err := a.do(ctx, wait+15*time.Second, http.MethodGet, u, nil, nil)
	if err != nil {
		return o, nil, 0, err
	}
	if r.Status != http.StatusOK {
		return o, r.Body, r.Status, nil
	}
	err = json.Unmarshal(r.Body, &o)
	return o, r.Body, r.Status, err
}

// Cheese reads the cheese report; raw is the body exactly as served.
func (a *API) Cheese(ctx context.Context) (rep CheeseReport, raw []byte, err error) {
	r, err := a.do(ctx, 15*time.Second, http.MethodGet, a.views+"/reports/cheese", nil, nil)
	if err != nil {
		return rep, nil, err
	}
	if r.Status != http.StatusOK {
		return rep, r.Body, fmt.Errorf("GET /reports/cheese: %s", r)
	}
	return rep, r.Body, json.Unmarshal(r.Body, &rep)
}

func (a *API) admin(ctx context.Context, timeout time.Duration, method, path string, out any) error {
	r, err := a.do(ctx, timeout, method, a.views+path, nil, map[string]string{"Authorization": "Bearer " + adminToken})
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	if r.Status != http.StatusOK {
		return fmt.Errorf("%s %s: %s", method, path, r)
	}
	return json.Unmarshal(r.Body, out)
}

// Replay rebuilds the views through POST /admin/replay, which starts a
// job, and follows the job until it ends.
func (a *API) Replay(ctx context.Context) (string, error) {
	auth := map[string]string{"Authorization": "Bearer " + adminToken}
	r, err := a.do(ctx, 30*time.Second, http.MethodPost, a.views+"/admin/replay", nil, auth)
	if err != nil {
		return "", fmt.Errorf("POST /admin/replay: %w", err)
	}
	if r.Status != http.StatusAccepted {
		return "", fmt.Errorf("POST /admin/replay: %s", r)
	}
	loc := r.Header.Get("Location")
	for deadline := time.Now().Add(3 * time.Minute); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		var job struct {
			State  string         `json:"state"`
			Result map[string]any `json:"result"`
			Error  map[string]any `json:"error"`
		}
		if err := a.admin(ctx, 30*time.Second, http.MethodGet, loc, &job); err != nil {
			return "", err
		}
		switch job.State {
		case "succeeded":
			return fmt.Sprint(job.Result), nil
		case "failed":
			return "", fmt.Errorf("replay job %s failed: %v", loc, job.Error)
		}
	}
	return "", fmt.Errorf("replay job %s still running after 3 minutes", loc)
}

// DeadLetters lists the pending dead letters.
func (a *API) DeadLetters(ctx context.Context) ([]Letter, error) {
	var out struct {
		Letters []Letter `json:"dead_letters"`
	}
	err := a.admin(ctx, 30*time.Second, http.MethodGet, "/admin/dead-letters?limit=1000", &out)
	return out.Letters, err
}

// Redrive re-drives every pending dead letter and says how many.
func (a *API) Redrive(ctx context.Context) (int, error) {
	var out struct {
		Redriven int `json:"redriven"`
	}
	err := a.admin(ctx, 90*time.Second, http.MethodPost, "/admin/dead-letters/redrive", &out)
	return out.Redriven, err
}

// Ready probes GET /readyz on base.
func (a *API) Ready(ctx context.Context, base string) (Response, error) {
	return a.do(ctx, 10*time.Second, http.MethodGet, base+"/readyz", nil, nil)
}
