package api

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// cheeseReport is GET /reports/cheese: every pizza past the cheese stage,
// counted once, most popular cheese first.
func (s *server) cheeseReport(c *gin.Context) {
	r, err := s.cfg.Queries.CheeseReport.Handle(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toCheeseReportJSON(r))
}
