package api

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/pizzeria/pizzeria/command"
	"github.com/pizzeria/pizzeria/internal/faults"
	"github.com/pizzeria/pizzeria/internal/testkit"
)

// fullDisk is the harness's real log publisher with a switch that fails
// every append as a full disk does.
type fullDisk struct {
	message.Publisher
	full  atomic.Bool
	tried atomic.Int64
}

func (d *fullDisk) Publish(topic string, msgs ...*message.Message) error {
	d.tried.Add(1)
	if d.full.Load() {
		return syscall.ENOSPC
	}
	return d.Publisher.Publish(topic, msgs...)
}

func TestReadinessTellsOfAFullDiskAndRecovers(t *testing.T) {
	disk := &fullDisk{}
	gateLogs := &testkit.Buffer{}
	var gate *faults.Gate
	h := newHarness(t, func(h *harness, c *Config) {
		disk.Publisher = h.log.Publisher()
		gate = faults.New(faults.Config{Logger: slog.New(slog.NewTextHandler(gateLogs, nil)),
			MinBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond})
		c.PlaceOrder = command.NewPlaceOrderHandler(gate.Publisher(disk, false), codec, 0)
		c.Ready = func(context.Context) error { return gate.Err() }
	})
	defer gate.Close()
	post := func() *struct{ code int } {
		rec := h.do("POST", "/orders", `{"count": 1}`, "Content-Type", jsonCT)
		return &struct{ code int }{rec.Code}
	}
	if rec := h.do("GET", "/readyz", ""); rec.Code != http.StatusOK {
		t.Fatalf("readyz before: %d %s", rec.Code, rec.Body)
	}

	disk.full.Store(true)
	const posts = 200
	start := time.Now()
	for range posts {
		if r := post(); r.code != http.StatusServiceUnavailable {
			t.Fatalf("POST on a full disk: %d", r.code)
		}
	}
	rec := h.do("GET", "/readyz", "")
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "no space left on device") {
		t.Fatalf("readyz on a full disk: %d %s", rec.Code, rec.Body)
	}
	if n := strings.Count(gateLogs.String(), "writes are failing"); n != 1 {
		t.Fatalf("%d lines say writes fail after %d failing orders, want 1", n, posts)
	}
	// The first failure, then at most one probe per minimum backoff.
	if tried, bound := disk.tried.Load(), 2+int64(time.Since(start)/(10*time.Millisecond)); tried > bound || tried >= posts {
		t.Fatalf("%d of %d orders reached the full disk, more than %d: it should be tried once per backoff", tried, posts, bound)
	}
	if h.end() != 0 {
		t.Fatalf("%d events stored on a full disk", h.end())
	}

	disk.full.Store(false)
	eventually(t, "an order is taken once space returns", func() bool { return post().code == http.StatusAccepted })
	// Ready again once orders have gone through for a quiet period.
	eventually(t, "ready again once writes succeed", func() bool {
		if r := post(); r.code != http.StatusAccepted {
			t.Fatalf("an order after space returned: %d", r.code)
		}
		return h.do("GET", "/readyz", "").Code == http.StatusOK
	})
	if n := strings.Count(gateLogs.String(), "writes succeed again"); n != 1 {
		t.Fatalf("%d lines say writes recovered, want 1:\n%s", n, gateLogs)
	}
}
