package api

import (
	"encoding/json"
	"time"

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
	if !resumed && s.cfg.Queries != nil {
		if rep, err := s.cfg.Queries.CheeseReport.Handle(ctx); err == nil {
			data, _ := json.Marshal(toCheeseReportJSON(rep)) // plain struct
			if st.event("", "cheese", data) != nil {
				return
			}
		}
	}
	for _, fr := range replay {
		if st.event(feed.frameID(fr), fr.name, fr.data) != nil {
			return
		}
	}
	beat := time.NewTicker(s.cfg.Heartbeat)
	defer beat.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-beat.C:
			if st.heartbeat() != nil {
				return
			}
		case fr, ok := <-client.ch:
			if !ok {
				return // dropped for falling behind, or the feed closed
			}
			if st.event(feed.frameID(fr), fr.name, fr.data) != nil {
				return
			}
		}
	}
}
