package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/pizzeria/pizzeria/query"
)

// The original services' routes, with their response shapes, so existing
// clients keep working. Errors are problem documents like everywhere else.

type legacyPlacedJSON struct {
	OrderID string `json:"order_id"`
}

type legacyOrderJSON struct {
	ID     string            `json:"id"`
	Count  int               `json:"count"`
	Pizzas []legacyPizzaJSON `json:"pizzas"`
}

type legacyPizzaJSON struct {
	OrderID string `json:"order_id"`
	Sauce   string `json:"sauce"`
	Cheese  string `json:"cheese"`
	Meats   string `json:"meats"`
	Veggies string `json:"veggies"`
}

// legacyPlaceOrder is POST /order/:count: 200 {"order_id"}. The count is
// validated as POST /orders validates it; no body is read.
func (s *server) legacyPlaceOrder(c *gin.Context) {
	count, err := parseCount(c.Param("count"), "the count in /order/{count}")
	if err != nil {
		s.fail(c, err)
		return
	}
	placed, ok := s.place(c, count)
	if !ok {
		return
	}
	c.JSON(http.StatusOK, legacyPlacedJSON{OrderID: placed.OrderID})
}

// legacyGetOrder is GET /order/:id: {"id","count","pizzas"}.
func (s *server) legacyGetOrder(c *gin.Context) {
	id, err := orderID(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	o, err := s.cfg.Queries.GetOrder.Handle(c.Request.Context(), query.GetOrder{ID: id})
	if err != nil {
		s.fail(c, err)
		return
	}
	out := legacyOrderJSON{ID: o.ID, Count: o.Count, Pizzas: make([]legacyPizzaJSON, len(o.Pizzas))}
	for i, p := range o.Pizzas {
		out.Pizzas[i] = legacyPizzaJSON{OrderID: o.ID, Sauce: p.Sauce, Cheese: p.Cheese, Meats: p.Meats, Veggies: p.Veggies}
	}
	c.JSON(http.StatusOK, out)
}

// legacyReport is GET /report: {"<cheese>": count, ...}.
func (s *server) legacyReport(c *gin.Context) {
	r, err := s.cfg.Queries.CheeseReport.Handle(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	out := make(map[string]int, len(r.Cheeses))
	for _, ch := range r.Cheeses {
		out[ch.Cheese] = ch.Count
	}
	c.JSON(http.StatusOK, out)
}
