package api

import (
	"time"

	"github.com/pizzeria/pizzeria/query"
)

// Wire types: the JSON the API sends. Fields may be added, never renamed.

type orderJSON struct {
	OrderID     string      `json:"order_id"`
	Count       int         `json:"count"`
	Status      string      `json:"status"`
	PlacedAt    *time.Time  `json:"placed_at"`
	CompletedAt *time.Time  `json:"completed_at"`
	Pizzas      []pizzaJSON `json:"pizzas"`
}

type pizzaJSON struct {
	PizzaID string `json:"pizza_id"`
	Sauce   string `json:"sauce"`
	Cheese  string `json:"cheese"`
	Meats   string `json:"meats"`
	Veggies string `json:"veggies"`
	Stage   string `json:"stage"`
}

type placedJSON struct {
	OrderID  string    `json:"order_id"`
	Status   string    `json:"status"`
	PlacedAt time.Time `json:"placed_at"`
}

type orderPageJSON struct {
	Orders     []orderJSON `json:"orders"`
	NextCursor *string     `json:"next_cursor"`
}

type cheeseReportJSON struct {
	Total   int               `json:"total"`
	Cheeses []cheeseCountJSON `json:"cheeses"`
}

type cheeseCountJSON struct {
	Cheese string  `json:"cheese"`
	Count  int     `json:"count"`
	Share  float64 `json:"share"`
}

func toOrderJSON(o query.Order) orderJSON {
	out := orderJSON{
		OrderID:  o.ID,
		Count:    o.Count,
		Status:   string(o.Status),
		PlacedAt: utc(o.PlacedAt),
		Pizzas:   make([]pizzaJSON, len(o.Pizzas)),
	}
	if o.CompletedAt != nil {
		out.CompletedAt = utc(*o.CompletedAt)
	}
	for i, p := range o.Pizzas {
		out.Pizzas[i] = pizzaJSON{PizzaID: p.ID, Sauce: p.Sauce, Cheese: p.Cheese, Meats: p.Meats, Veggies: p.Veggies, Stage: p.Stage}
	}
	return out
}

func toOrderPageJSON(p query.OrderPage) orderPageJSON {
	out := orderPageJSON{Orders: make([]orderJSON, len(p.Orders))}
	for i, o := range p.Orders {
		out.Orders[i] = toOrderJSON(o)
	}
	if p.Next != "" {
		out.NextCursor = &p.Next
	}
	return out
}

func toCheeseReportJSON(r query.CheeseReport) cheeseReportJSON {
	out := cheeseReportJSON{Total: r.Total, Cheeses: make([]cheeseCountJSON, len(r.Cheeses))}
	for i, c := range r.Cheeses {
		out.Cheeses[i] = cheeseCountJSON(c)
	}
	return out
}

// utc is nil for the zero time (unknown), else the time in UTC; it is
// written as RFC 3339.
func utc(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}
