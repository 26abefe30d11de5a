package api

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/pizzeria/pizzeria/command"
	"github.com/pizzeria/pizzeria/query"
)

// maxOrderIDBytes bounds an order id in a path. Ids this service issues are
// 36-byte UUIDs; orders from the original services may carry other ids.
const maxOrderIDBytes = 200

// placeOrder is POST /orders: 202 once the OrderPlaced event is durably in
// the log; the kitchen works on it asynchronously.
func (s *server) placeOrder(c *gin.Context) {
	count, err := s.readOrderBody(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	placed, ok := s.place(c, count)
	if !ok {
		return
	}
	c.Header("Location", strings.TrimSuffix(s.cfg.PublicQueryURL, "/")+"/orders/"+url.PathEscape(placed.OrderID))
	c.JSON(http.StatusAccepted, placedJSON{OrderID: placed.OrderID, Status: string(query.StatusPlaced), PlacedAt: placed.PlacedAt.UTC()})
}

// place runs the command for count pizzas, honouring Idempotency-Key; on
// failure it has answered the request and reports false.
func (s *server) place(c *gin.Context, count int) (command.Placed, bool) {
	placed, err := s.cfg.PlaceOrder.Handle(c.Request.Context(), command.PlaceOrder{
		Count:          count,
		IdempotencyKey: c.GetHeader("Idempotency-Key"),
	})
	if err != nil {
		s.fail(c, err)
		return command.Placed{}, false
	}
	return placed, true
}

// getOrder is GET /orders/:id[?wait=DURATION].
func (s *server) getOrder(c *gin.Context) {
	id, err := orderID(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	wait, err := waitParam(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	if wait > 0 {
		release, ok := s.hold()
		if !ok {
			s.fail(c, errHoldersFull)
			return
		}
		defer release()
	}
	o, err := s.cfg.Queries.GetOrder.Handle(c.Request.Context(), query.GetOrder{ID: id, Wait: wait})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toOrderJSON(o))
}

// listOrders is GET /orders[?limit=N&cursor=C]: newest first.
func (s *server) listOrders(c *gin.Context) {
	limit := query.DefaultPageSize
	if v, ok := c.GetQuery("limit"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > query.MaxPageSize {
			s.fail(c, badRequest("limit must be a whole number from 1 to %d (got %q)", query.MaxPageSize, clip(v)))
			return
		}
		limit = n
	}
	page, err := s.cfg.Queries.ListOrders.Handle(c.Request.Context(), query.ListOrders{Cursor: c.Query("cursor"), Limit: limit})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toOrderPageJSON(page))
}

// orderID is the :id path segment, refused if it could not be an order id:
// longer than maxOrderIDBytes, not UTF-8, or holding control characters.
func orderID(c *gin.Context) (string, error) {
	id := c.Param("id")
	if id == "" || len(id) > maxOrderIDBytes || !utf8.ValidString(id) {
		return "", badRequest("an order id is 1 to %d bytes of UTF-8 text, like the order_id POST /orders returns", maxOrderIDBytes)
	}
	for _, r := range id {
		if unicode.IsControl(r) {
			return "", badRequest("an order id cannot contain control characters")
		}
	}
	return id, nil
}

// waitParam parses ?wait= as a positive Go duration ("2s", "500ms"),
// capped at query.MaxWait. Absent means do not wait.
func waitParam(c *gin.Context) (time.Duration, error) {
	v, ok := c.GetQuery("wait")
	if !ok {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, badRequest("wait must be a positive duration with a unit, like 5s or 500ms (got %q); it is capped at %s", clip(v), query.MaxWait)
	}
	return min(d, query.MaxWait), nil
}
