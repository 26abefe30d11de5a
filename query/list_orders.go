package query

import "context"

const (
	DefaultPageSize = 20
	MaxPageSize     = 100
)

// ListOrders asks for recent orders, newest first, one page at a time.
// Cursor is the Next of the previous page; empty for the first page.
type ListOrders struct {
	Cursor string
	Limit  int
}

// ListOrdersHandler answers ListOrders.
type ListOrdersHandler struct{ views Views }

// NewListOrdersHandler returns a handler over views.
func NewListOrdersHandler(views Views) *ListOrdersHandler { return &ListOrdersHandler{views: views} }

// Handle returns one page; Limit is clamped to 1..MaxPageSize.
func (h *ListOrdersHandler) Handle(ctx context.Context, q ListOrders) (OrderPage, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = DefaultPageSize
	}
	return h.views.Orders(ctx, q.Cursor, min(limit, MaxPageSize))
}
