package api

import (
	"encoding/json"
	"net/http"
	"testing"
)

func TestOriginalServicesRoutes(t *testing.T) {
	h := newHarness(t)
	rec := h.do("POST", "/order/4", "")
	if rec.Code != http.StatusOK || keys(t, rec.Body.Bytes()) != "order_id" {
		t.Fatalf("POST /order/4: %d %s", rec.Code, rec.Body)
	}
	var placed struct {
		OrderID string `json:"order_id"`
	}
	decodeJSON(t, rec, &placed)
	if h.end() != 1 {
		t.Fatalf("%d events, want 1", h.end())
	}
	h.apply(h.cook(placed.OrderID)...)

	rec = h.do("GET", "/order/"+placed.OrderID, "")
	if rec.Code != http.StatusOK || keys(t, rec.Body.Bytes()) != "count,id,pizzas" {
		t.Fatalf("GET /order: %d %s", rec.Code, rec.Body)
	}
	var o struct {
		ID     string            `json:"id"`
		Count  int               `json:"count"`
		Pizzas []json.RawMessage `json:"pizzas"`
	}
	decodeJSON(t, rec, &o)
	if o.ID != placed.OrderID || o.Count != 4 || len(o.Pizzas) != 4 {
		t.Fatalf("order %s", rec.Body)
	}
	if k := keys(t, o.Pizzas[0]); k != "cheese,meats,order_id,sauce,veggies" {
		t.Fatalf("pizza fields %s", k)
	}
	var p map[string]string
	json.Unmarshal(o.Pizzas[0], &p)
	if p["order_id"] != placed.OrderID || p["cheese"] == "" {
		t.Fatalf("pizza %v", p)
	}

	rec = h.do("GET", "/report", "")
	var report map[string]int
	decodeJSON(t, rec, &report)
	total := 0
	for _, n := range report {
		total += n
	}
	if rec.Code != http.StatusOK || total != 4 {
		t.Fatalf("report %s", rec.Body)
	}
}
