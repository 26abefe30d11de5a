package query

// Queries is every query the HTTP layer may ask.
type Queries struct {
	GetOrder     *GetOrderHandler
	ListOrders   *ListOrdersHandler
	CheeseReport *CheeseReportHandler
}

// New builds the query side over views and their change watcher.
func New(views Views, watcher Watcher) Queries {
	return Queries{
		GetOrder:     NewGetOrderHandler(views, watcher),
		ListOrders:   NewListOrdersHandler(views),
		CheeseReport: NewCheeseReportHandler(views),
	}
}
