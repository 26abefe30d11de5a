package events

import "time"

// Wire shapes. The pizza shape is the original system's JSON plus pizza_id;
// its field order is pinned by golden tests and must never change.

type pizzaV1 struct {
	OrderID string `json:"order_id"`
	PizzaID string `json:"pizza_id"`
	Sauce   string `json:"sauce"`
	Cheese  string `json:"cheese"`
	Meats   string `json:"meats"`
	Veggies string `json:"veggies"`
}

type orderPlacedV1 struct {
	OrderID  string    `json:"order_id"`
	Count    int       `json:"count"`
	PlacedAt time.Time `json:"placed_at"`
}

type orderCompletedV1 struct {
	OrderID     string    `json:"order_id"`
	CompletedAt time.Time `json:"completed_at"`
}

func toPizzaV1(p Pizza) pizzaV1 {
	return pizzaV1{p.OrderID, p.PizzaID, p.Sauce, p.Cheese, p.Meats, p.Veggies}
}

func (w pizzaV1) pizza() Pizza {
	return Pizza{w.OrderID, w.PizzaID, w.Sauce, w.Cheese, w.Meats, w.Veggies}
}
