package api

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/pizzeria/pizzeria/internal/boltlog"
	"github.com/pizzeria/pizzeria/internal/deadletter"
	"github.com/pizzeria/pizzeria/projections"
)

const adminToken = "s3cret-admin-token-do-not-log"

// logAdmin is a small real Admin: replay rebuilds the store from the log,
// dead letters are the log's dead-letter topic.
type logAdmin struct {
	store *projections.Store
	log   *boltlog.Log
	gate  chan struct{} // if set, replay holds here until it is closed
}

func (a *logAdmin) Replay(ctx context.Context) (projections.RebuildStats, error) {
	return a.store.Rebuild(ctx, logSource{a}, codec, nil)
}

type logSource struct{ a *logAdmin }

func (s logSource) ReadAll(ctx context.Context, topic string, fn func(*message.Message) error) error {
	if s.a.gate != nil {
		<-s.a.gate
	}
	return s.a.log.ReadAll(ctx, topic, fn)
}

func (a *logAdmin) DeadLetters(ctx context.Context, limit int) ([]deadletter.Letter, error) {
	topic := codec.Topics().DeadLetters
	var out []deadletter.Letter
	off := 0
	err := a.log.ReadAll(ctx, topic, func(m *message.Message) error {
		if off++; off > limit {
			return nil
		}
		out = append(out, deadletter.Letter{Position: fmt.Sprintf("0/%d", off-1), SourceTopic: m.Metadata.Get("source_topic"),
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
	if rec.Code != http.StatusOK || keys(t, rec.Body.Bytes()) != "applied,generation,read,skipped,took_seconds" {
		t.Fatalf("replay: %d %s", rec.Code, rec.Body)
	}
	var st struct{ Read, Applied, Generation int }
	decodeJSON(t, rec, &st)
	if st.Read != 1 || st.Applied != 1 || st.Generation != 2 {
		t.Fatalf("stats %s: the log holds only the OrderPlaced", rec.Body)
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
		DeadLetters []deadletter.Letter `json:"dead_letters"`
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

func TestConcurrentReplayIsAConflict(t *testing.T) {
	a := &logAdmin{gate: make(chan struct{})}
	h := newHarness(t, withAdmin(a))
	results := make(chan *httptest.ResponseRecorder, 2)
	for range 2 {
		go func() { results <- h.do("POST", "/admin/replay", "", "Authorization", "Bearer "+adminToken) }()
	}
	// One replay holds its rebuild open at the gate; the other is refused.
	var refused *httptest.ResponseRecorder
	select {
	case refused = <-results:
	case <-time.After(10 * time.Second):
		close(a.gate)
		t.Fatal("neither replay was refused")
	}
	close(a.gate)
	assertProblem(t, refused, http.StatusConflict)
	if rec := <-results; rec.Code != http.StatusOK {
		t.Fatalf("the replay holding the rebuild: %d %s", rec.Code, rec.Body)
	}
}
