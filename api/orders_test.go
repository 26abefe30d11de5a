package api

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestOrderViewThroughTheKitchen(t *testing.T) {
	h := newHarness(t)
	id := h.order(2)
	evs := h.cook(id)

	h.apply(evs[0]) // OrderPlaced only
	rec := h.do("GET", "/orders/"+id, "")
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	if got := keys(t, rec.Body.Bytes()); got != "completed_at,count,order_id,pizzas,placed_at,status" {
		t.Fatalf("fields %s", got)
	}
	var placed map[string]any
	decodeJSON(t, rec, &placed)
	if placed["status"] != "placed" || placed["completed_at"] != nil || placed["count"] != 2.0 || len(placed["pizzas"].([]any)) != 0 {
		t.Fatalf("placed view %v", placed)
	}

	h.apply(evs[1:]...)
	rec = h.do("GET", "/orders/"+id, "")
	var done struct {
		OrderID     string            `json:"order_id"`
		Status      string            `json:"status"`
		PlacedAt    string            `json:"placed_at"`
		CompletedAt *string           `json:"completed_at"`
		Pizzas      []json.RawMessage `json:"pizzas"`
	}
	decodeJSON(t, rec, &done)
	if done.OrderID != id || done.Status != "completed" || done.CompletedAt == nil || len(done.Pizzas) != 2 {
		t.Fatalf("completed view %s", rec.Body)
	}
	for _, ts := range []string{done.PlacedAt, *done.CompletedAt} {
		if _, err := time.Parse(time.RFC3339Nano, ts); err != nil || !strings.HasSuffix(ts, "Z") {
			t.Fatalf("time %q is not RFC 3339 UTC", ts)
		}
	}
	if got := keys(t, done.Pizzas[0]); got != "cheese,meats,pizza_id,sauce,stage,veggies" {
		t.Fatalf("pizza fields %s", got)
	}
	var p map[string]string
	json.Unmarshal(done.Pizzas[0], &p)
	if p["stage"] != "done" || p["sauce"] == "" || p["cheese"] == "" || p["pizza_id"] == "" {
		t.Fatalf("pizza %v", p)
	}
}

func TestOrderWithoutPlacementHasNullPlacedAt(t *testing.T) {
	h := newHarness(t)
	id := h.order(1)
	evs := h.cook(id)
	h.apply(evs[1]) // a pizza seen before its order
	rec := h.do("GET", "/orders/"+id, "")
	var v map[string]any
	decodeJSON(t, rec, &v)
	if rec.Code != http.StatusOK || v["placed_at"] != nil || v["status"] != "in_progress" {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
}

func TestListOrdersPagesNewestFirst(t *testing.T) {
	h := newHarness(t)
	var ids []string
	for range 5 {
		id := h.order(1)
		h.apply(h.cook(id)[0])
		ids = append(ids, id)
		time.Sleep(2 * time.Millisecond) // distinct placed_at
	}
	var got []string
	target := "/orders?limit=2"
	for pages := 0; ; pages++ {
		rec := h.do("GET", target, "")
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: %d %s", target, rec.Code, rec.Body)
		}
		if k := keys(t, rec.Body.Bytes()); k != "next_cursor,orders" {
			t.Fatalf("fields %s", k)
		}
		var page struct {
			Orders []struct {
				OrderID string `json:"order_id"`
			} `json:"orders"`
			NextCursor *string `json:"next_cursor"`
		}
		decodeJSON(t, rec, &page)
		for _, o := range page.Orders {
			got = append(got, o.OrderID)
		}
		if page.NextCursor == nil {
			break
		}
		if pages > 5 {
			t.Fatal("pagination does not end")
		}
		target = "/orders?limit=2&cursor=" + *page.NextCursor
	}
	for i := range ids {
		if got[i] != ids[len(ids)-1-i] {
			t.Fatalf("order %v, want newest first of %v", got, ids)
		}
	}
	rec := h.do("GET", "/orders", "")
	if !strings.Contains(rec.Body.String(), `"next_cursor":null`) {
		t.Fatalf("a single page has a null cursor: %s", rec.Body)
	}
}

func TestCheeseReport(t *testing.T) {
	h := newHarness(t)
	rec := h.do("GET", "/reports/cheese", "")
	if rec.Code != http.StatusOK || rec.Body.String() != `{"total":0,"cheeses":[]}` {
		t.Fatalf("empty report: %d %s", rec.Code, rec.Body)
	}
	h.cooked(5)
	h.cooked(4)
	rec = h.do("GET", "/reports/cheese", "")
	var r struct {
		Total   int               `json:"total"`
		Cheeses []json.RawMessage `json:"cheeses"`
	}
	decodeJSON(t, rec, &r)
	if r.Total != 9 || len(r.Cheeses) == 0 {
		t.Fatalf("report %s", rec.Body)
	}
	if k := keys(t, r.Cheeses[0]); k != "cheese,count,share" {
		t.Fatalf("line fields %s", k)
	}
	sum, prev := 0.0, 1<<30
	for _, raw := range r.Cheeses {
		var line struct {
			Count int
			Share float64
		}
		json.Unmarshal(raw, &line)
		if line.Count > prev {
			t.Fatalf("not sorted by count: %s", rec.Body)
		}
		prev = line.Count
		sum += line.Share
	}
	if sum < 0.999 || sum > 1.001 {
		t.Fatalf("shares add up to %f", sum)
	}
}
