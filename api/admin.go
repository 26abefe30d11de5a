package api

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
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

// replay is POST /admin/replay: start rebuilding every view from the log
// as a job, and answer 202 with the job at once; GET /admin/jobs/{id}
// follows it. A replay while one runs is a 409 naming the running job.
func (s *server) replay(c *gin.Context) {
	jb, started := s.jobs.start("replay")
	c.Header("Location", "/admin/jobs/"+jb.id)
	if !started {
		s.fail(c, &requestError{kind: errJobRunning, detail: "a replay is already running: follow it at /admin/jobs/" + jb.id})
		return
	}
	go s.runReplay(s.cfg.JobContext, jb)
	c.JSON(http.StatusAccepted, jb.view(time.Now()))
}

// job is GET /admin/jobs/:id.
func (s *server) job(c *gin.Context) {
	jb, ok := s.jobs.get(c.Param("id"))
	if !ok {
		s.fail(c, errNoJob)
		return
	}
	c.JSON(http.StatusOK, jb.view(time.Now()))
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
		letters = []DeadLetter{}
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
