package api

import (
	_ "embed"
	"net/http"

	"github.com/gin-gonic/gin"
)

// openAPIDocument describes every route this package can register. It is
// written by hand; a test keeps it equal to the registered routes.
//
//go:embed openapi.json
var openAPIDocument []byte

// openAPI is GET /openapi.json.
func (s *server) openAPI(c *gin.Context) {
	c.Data(http.StatusOK, "application/json", openAPIDocument)
}
