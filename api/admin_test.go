package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/pizzeria/pizzeria/internal/boltlog"
	"github.com/pizzeria/pizzeria/projections"
)

const adminToken = "s3cret-admin-token-do-not-log"

// logAdmin is a small real Admin: replay rebuilds the store from the log,
// dead letters are the log's dead-letter topic.
type logAdmin struct {
	store *projections.Store
	log   *boltlog.Log
	gate  chan struct{} // if set, replay holds here before each topic
}

func (a *logAdmin) Replay(ctx context.Context, progress ReplayProgress) (ReplayStats, error) {
	st, err := a.store.Rebuild(ctx, logSource{a}, codec, projections.Progress(progress))
	if errors.Is(err, projections.ErrRebuildInProgress) {
		err = fmt.Errorf("%w: %w", ErrReplayRunning, err)
	}
	return ReplayStats(st), err
}

func (a *logAdmin) LogSize(ctx context.Context) (int64, error) {
	var n int64
	for _, topic := range codec.Topics().Events() {
		c, err := a.log.Count(topic)
		if err != nil {
			return 0, err
		}
		n += int64(c)
	}
	return n, nil
}

type logSource struct{ a *logAdmin }

func (s logSource) ReadAll(ctx context.Context, topic string, fn func(*message.Message) error) error {
	if s.a.gate != nil {
		<-s.a.gate
	}
	return s.a.log.ReadAll(ctx, topic, fn)
}

func (a *logAdmin) DeadLetters(ctx context.Context, limit int) ([]DeadLetter, error) {
	topic := codec.Topics().DeadLetters
	var out []DeadLetter
	off := 0
	err := a.log.ReadAll(ctx, topic, func(m *message.Message) error {
		if off++; off > limit {
			return nil
		}
		out = append(out, DeadLetter{Position: fmt.Sprintf("0/%d", off-1), SourceTopic: m.Metadata.Get("source_topic"),
			Reason: m.Metadata.Get("reason"), Payload: string(m.Payload), Size: len(m.Payload)})
		return nil
	})
	return out, err
}

func (a *logAdmin) Redrive(ctx context.Context) (int, error) {
	letters, err := a.DeadLetters(ctx, 1000)
	return len(letters), err
}

func withAdmin(a *logAdmin) func(*harness, *Config) {
	return func(h *harness, c *Config) {
		a.store, a.log = h.store, h.log
		c.Admin, c.AdminToken = a, adminToken
	}
}

func TestAdminIsOffWithoutAToken(t *testing.T) {
	h := newHarness(t, func(h *harness, c *Config) { c.Admin = &logAdmin{store: h.store, log: h.log} })
	for _, r := range [][2]string{{"POST", "/admin/replay"}, {"GET", "/admin/dead-letters"}, {"POST", "/admin/dead-letters/redrive"}} {
		assertProblem(t, h.do(r[0], r[1], "", "Authorization", "Bearer "+adminToken), http.StatusNotFound)
	}
}

func TestAdminNeedsTheToken(t *testing.T) {
	h := newHarness(t, withAdmin(&logAdmin{}))
	for _, auth := range []string{"", "Bearer", "Bearer ", "Bearer wrong", "Basic " + adminToken, adminToken,
		"Bearer " + adminToken + "x", "Bearer " + adminToken[:len(adminToken)-1]} {
		for _, r := range [][2]string{{"POST", "/admin/replay"}, {"GET", "/admin/dead-letters"}, {"POST", "/admin/dead-letters/redrive"}} {
			rec := h.do(r[0], r[1], "", "Authorization", auth)
			p := assertProblem(t, rec, http.StatusUnauthorized)
			if !strings.HasPrefix(rec.Header().Get("WWW-Authenticate"), "Bearer") {
				t.Fatalf("WWW-Authenticate %q", rec.Header().Get("WWW-Authenticate"))
			}
			if strings.Contains(rec.Body.String(), adminToken) || strings.Contains(p.Detail, "wrong") {
				t.Fatalf("the token or the attempt was echoed: %s", rec.Body)
			}
		}
	}
	if strings.Contains(h.logs.String(), adminToken) {
		t.Fatal("the token appears in the logs")
	}
}

func TestAdminWorksWithTheToken(t *testing.T) {
	h := newHarness(t, withAdmin(&logAdmin{}))
	auth := []string{"Authorization", "Bearer " + adminToken}
	id := h.cooked(2)
	before := h.do("GET", "/orders/"+id, "").Body.String()

	rec := h.do("POST", "/admin/replay", "", auth...)
	if rec.Code != http.StatusAccepted {
		t.Fatalf("replay: %d %s", rec.Code, rec.Body)
	}
	done := h.awaitJob(rec.Header().Get("Location"))
	if done.State != "succeeded" || done.Result == nil {
		t.Fatalf("replay job %+v", done)
	}
	if st := done.Result; st.Read != 1 || st.Applied != 1 || st.Generation != 2 {
		t.Fatalf("stats %+v: the log holds only the OrderPlaced", st)
	}
	if after := h.do("GET", "/orders/"+id, "").Body.String(); after == before {
		t.Fatal("the view was not rebuilt from the log")
	}

	rec = h.do("GET", "/admin/dead-letters", "", auth...)
	if rec.Code != http.StatusOK || rec.Body.String() != `{"dead_letters":[]}` {
		t.Fatalf("no dead letters: %d %s", rec.Code, rec.Body)
	}
	dead := message.NewMessage("dead-1", []byte(`{"not":"a pizza"}`))
	dead.Metadata.Set("source_topic", "pizza")
	dead.Metadata.Set("reason", "undecodable")
	if err := h.log.Publisher().Publish(codec.Topics().DeadLetters, dead); err != nil {
		t.Fatal(err)
	}
	rec = h.do("GET", "/admin/dead-letters?limit=5", "", auth...)
	var letters struct {
		DeadLetters []DeadLetter `json:"dead_letters"`
	}
	decodeJSON(t, rec, &letters)
	if len(letters.DeadLetters) != 1 || letters.DeadLetters[0].Reason != "undecodable" {
		t.Fatalf("dead letters %s", rec.Body)
	}
	assertProblem(t, h.do("GET", "/admin/dead-letters?limit=0", "", auth...), http.StatusBadRequest)

	rec = h.do("POST", "/admin/dead-letters/redrive", "", auth...)
	if rec.Code != http.StatusOK || rec.Body.String() != `{"redriven":1}` {
		t.Fatalf("redrive: %d %s", rec.Code, rec.Body)
	}
	if strings.Contains(h.logs.String(), adminToken) {
		t.Fatal("the token appears in the logs")
	}
}

func TestReplayIsAJobThatReportsProgress(t *testing.T) {
	a := &logAdmin{gate: make(chan struct{})}
	h := newHarness(t, withAdmin(a))
	auth := []string{"Authorization", "Bearer " + adminToken}
	for range 3 {
		h.order(2)
	}
	rec := h.do("POST", "/admin/replay", "", auth...)
	if rec.Code != http.StatusAccepted {
		t.Fatalf("replay: %d %s", rec.Code, rec.Body)
	}
	loc := rec.Header().Get("Location")
	if !strings.HasPrefix(loc, "/admin/jobs/") {
		t.Fatalf("Location %q", loc)
	}
	var first jobJSON
	decodeJSON(t, rec, &first)
	if first.State != "running" || first.Kind != "replay" || "/admin/jobs/"+first.ID != loc {
		t.Fatalf("202 body %s", rec.Body)
	}

	// The orders topic comes first; let only it through.
	a.gate <- struct{}{}
	var mid jobJSON
	eventually(t, "the job reports the orders topic read", func() bool {
		mid = h.getJob(loc)
		return mid.Progress.EventsRead == 3
	})
	if mid.State != "running" || mid.Progress.EventsTotal == nil || *mid.Progress.EventsTotal != 3 ||
		mid.Progress.RatePerSecond <= 0 || mid.Progress.ETASeconds == nil {
		t.Fatalf("progress while running: %+v", mid)
	}

	again := h.do("POST", "/admin/replay", "", auth...)
	if p := assertProblem(t, again, http.StatusConflict); !strings.Contains(p.Detail, loc) || again.Header().Get("Location") != loc {
		t.Fatalf("a second replay while one runs: %+v, Location %q", p, again.Header().Get("Location"))
	}

	close(a.gate)
	done := h.awaitJob(loc)
	if done.State != "succeeded" || done.Result == nil || done.Result.Read != 3 || done.FinishedAt == nil || done.Progress.ETASeconds != nil {
		t.Fatalf("finished job %+v", done)
	}
	if rec := h.do("POST", "/admin/replay", "", auth...); rec.Code != http.StatusAccepted {
		t.Fatalf("a replay after the first finished: %d %s", rec.Code, rec.Body)
	} else {
		h.awaitJob(rec.Header().Get("Location"))
	}
}

func TestAFailedReplayJobSaysWhy(t *testing.T) {
	h := newHarness(t, withAdmin(&logAdmin{}))
	auth := []string{"Authorization", "Bearer " + adminToken}
	h.log.Close() // a real failure: the log cannot be read
	rec := h.do("POST", "/admin/replay", "", auth...)
	if rec.Code != http.StatusAccepted {
		t.Fatalf("replay: %d %s", rec.Code, rec.Body)
	}
	done := h.awaitJob(rec.Header().Get("Location"))
	if done.State != "failed" || done.Error == nil || done.Error.Status != http.StatusInternalServerError || done.Result != nil {
		t.Fatalf("failed job %+v", done)
	}
	assertProblem(t, h.do("GET", "/admin/jobs/no-such-job", "", auth...), http.StatusNotFound)
	assertProblem(t, h.do("GET", rec.Header().Get("Location"), ""), http.StatusUnauthorized)
}

func (h *harness) getJob(loc string) jobJSON {
	h.t.Helper()
	rec := h.do("GET", loc, "", "Authorization", "Bearer "+adminToken)
	if rec.Code != http.StatusOK {
		h.t.Fatalf("GET %s: %d %s", loc, rec.Code, rec.Body)
	}
	var j jobJSON
	decodeJSON(h.t, rec, &j)
	return j
}

// awaitJob polls the job at loc until it is no longer running.
func (h *harness) awaitJob(loc string) jobJSON {
	h.t.Helper()
	var j jobJSON
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if j = h.getJob(loc); j.State != "running" {
			return j
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("job %s still running after 30s: %+v", loc, j)
		}
	}
}
