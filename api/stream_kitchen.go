package api

import (
	"encoding/json"

	"github.com/gin-gonic/gin"
)

// kitchenEvents is GET /kitchen/events: the kitchen as it runs (see
// KitchenFeed for the frames). A client reconnecting with the Last-Event-ID
// of a frame still held gets every frame after it; otherwise it starts with
// the current cheese report and goes on from now. A client that falls too
// far behind is dropped; reconnecting resumes it.
func (s *server) kitchenEvents(c *gin.Context) {
	st, ok := s.startSSE(c)
	if st != nil {
		defer s.doneSSE()
	}
	if !ok {
		return
	}
	feed := s.cfg.Kitchen
	client, replay, resumed := feed.subscribe(c.GetHeader("Last-Event-ID"))
	defer feed.unsubscribe(client)
	ctx := c.Request.Context()
	var first [][]byte
	if !resumed && s.cfg.Queries != nil {
		if rep, err := s.cfg.Queries.CheeseReport.Handle(ctx); err == nil {
			data, _ := json.Marshal(toCheeseReportJSON(rep)) // plain struct
			first = append(first, encodeEvent("", "cheese", data))
		}
	}
	if len(first)+len(replay) > 0 && st.send(append(first, replay...)...) != nil {
		return
	}
	beat := s.beats.next() // taken again only after it fires: next locks
	for {
		select {
		case <-ctx.Done():
			return
		case <-beat:
			if st.heartbeat() != nil {
				return
			}
			beat = s.beats.next()
		case batch, ok := <-client.ch:
			if !ok {
				return // dropped for falling behind, or the feed closed
			}
			if st.send(drain(batch, client.ch)...) != nil {
				return
			}
		}
	}
}

// drain is batch and every batch already waiting behind it: a client that
// fell behind catches up in one write.
func drain(batch []byte, ch <-chan []byte) [][]byte {
	out := [][]byte{batch}
	for {
		select {
		case b, ok := <-ch:
			if !ok {
				return out // the stream ends at the next receive
			}
			out = append(out, b)
		default:
			return out
		}
	}
}
