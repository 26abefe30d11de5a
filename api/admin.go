package api

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/pizzeria/pizzeria/internal/deadletter"
)

const (
	defaultDeadLetterLimit = 100
	maxDeadLetterLimit     = 1000
)

// tokenDigest is the SHA-256 of the admin token. Presented tokens are
// hashed and the digests compared in constant time, so neither the
// token's content nor its length shows in response timing.
type tokenDigest [sha256.Size]byte

func digestToken(token string) tokenDigest { return sha256.Sum256([]byte(token)) }

// requireAdmin lets a request through only with 'Authorization: Bearer
// <AdminToken>'. The presented token is never logged or echoed.
func (s *server) requireAdmin(c *gin.Context) {
	scheme, token, ok := strings.Cut(c.GetHeader("Authorization"), " ")
	presented := digestToken(strings.TrimSpace(token))
	match := subtle.ConstantTimeCompare(presented[:], s.token[:]) == 1
	if !ok || !strings.EqualFold(scheme, "Bearer") || !match {
		s.fail(c, errUnauthorized)
		return
	}
	c.Next()
}

type rebuildJSON struct {
	Read        int     `json:"read"`
	Applied     int     `json:"applied"`
	Skipped     int     `json:"skipped"`
	Generation  int     `json:"generation"`
	TookSeconds float64 `json:"took_seconds"`
}

// replay is POST /admin/replay: rebuild every view from the log, then swap.
func (s *server) replay(c *gin.Context) {
	st, err := s.cfg.Admin.Replay(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, rebuildJSON{Read: st.Read, Applied: st.Applied, Skipped: st.Skipped,
		Generation: st.Generation, TookSeconds: st.Took.Seconds()})
}

// deadLetters is GET /admin/dead-letters[?limit=N].
func (s *server) deadLetters(c *gin.Context) {
	limit := defaultDeadLetterLimit
	if v, ok := c.GetQuery("limit"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxDeadLetterLimit {
			s.fail(c, badRequest("limit must be a whole number from 1 to %d (got %q)", maxDeadLetterLimit, clip(v)))
			return
		}
		limit = n
	}
	letters, err := s.cfg.Admin.DeadLetters(c.Request.Context(), limit)
	if err != nil {
		s.fail(c, err)
		return
	}
	if letters == nil {
		letters = []deadletter.Letter{}
	}
	c.JSON(http.StatusOK, gin.H{"dead_letters": letters})
}

// redrive is POST /admin/dead-letters/redrive: send every dead letter back
// to the topic it came from.
func (s *server) redrive(c *gin.Context) {
	n, err := s.cfg.Admin.Redrive(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"redriven": n})
}
