//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"maps"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// crashKills is how many SIGKILLs a crash test must survive.
func crashKills(t *testing.T) int {
	if s := os.Getenv("PIZZERIA_CRASH_KILLS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("PIZZERIA_CRASH_KILLS=%q: want a positive whole number", s)
		}
		return n
	}
	return 50
}

// Crash is one crash run: load from several clients while a killer
// SIGKILLs a random process at random moments and starts it again.
type Crash struct {
	Kitchen *Kitchen
	Load    *Load
	Kills   int
	// Gap bounds the random pause between one restart and the next kill;
	// Down bounds how long a killed process stays down.
	Gap, Down time.Duration
	// KillPhase bounds the loaded, killing phase; Settle bounds the wait
	// for every accepted order to complete afterwards.
	KillPhase, Settle time.Duration
}

// Run performs the run and checks the invariants that hold for every
// deployment. It returns the accepted orders (id → count) and their views.
func (c *Crash) Run(t *testing.T, v *Violations) (map[string]int, map[string]Order) {
	ctx, cancel := context.WithTimeout(context.Background(), c.KillPhase+c.Settle+time.Minute)
	defer cancel()
	begin := time.Now()
	stop := make(chan struct{})
	loaded := make(chan struct{})
	go func() {
		defer close(loaded)
		c.Load.Run(ctx, stop)
	}()

	kills := c.kill(t, ctx)
	close(stop)
	<-loaded
	killed := time.Since(begin)
	t.Logf("kill phase: %d kills in %s; load: %s", kills, killed.Round(time.Millisecond), c.Load)
	if kills < c.Kills {
		v.Addf("only %d of %d kills within %s", kills, c.Kills, c.KillPhase)
	}

	want, repeated := c.Load.Orders()
	settle, cancelSettle := context.WithTimeout(ctx, c.Settle)
	defer cancelSettle()
	got := awaitCompleted(settle, c.Load.API, want)
	t.Logf("settled %d orders in %s after the last kill (%d keys answered more than once)",
		len(want), time.Since(begin.Add(killed)).Round(time.Millisecond), repeated)

	recount, pizzas := checkOrders(v, want, got)
	rep, _, err := c.Load.API.Cheese(ctx)
	if err != nil {
		v.Addf("cheese report: %v", err)
	} else {
		checkCheese(v, "the order views", rep, recount)
	}
	c.checkListed(ctx, v, want)
	letters, err := c.Load.API.DeadLetters(ctx)
	if err != nil {
		v.Addf("dead letters: %v", err)
	} else if len(letters) != 0 {
		v.Addf("%d dead letters, want none; first: %+v", len(letters), letters[0])
	}
	t.Cleanup(func() {
		t.Logf("crash summary: kills survived=%d orders=%d pizzas=%d violations=%d duration=%s",
			kills, len(want), pizzas, v.Len(), time.Since(begin).Round(time.Second))
	})
	return want, got
}

// kill SIGKILLs a random process, keeps it down a moment, starts it again
// and waits until it serves, c.Kills times or until KillPhase runs out.
func (c *Crash) kill(t *testing.T, ctx context.Context) int {
	deadline := time.Now().Add(c.KillPhase)
	procs := c.Kitchen.Procs
	kills := 0
	for kills < c.Kills && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(rand.N(c.Gap))
		p := procs[rand.IntN(len(procs))]
		p.Kill()
		kills++
		time.Sleep(rand.N(c.Down))
		if err := p.Start(); err != nil {
			t.Fatal(err)
		}
		if err := p.WaitHealthy(startTimeout); err != nil {
			t.Fatalf("after kill %d: %v", kills, err)
		}
	}
	return kills
}

// checkListed pages through GET /orders and checks it lists exactly the
// accepted orders: nothing lost, nothing invented.
func (c *Crash) checkListed(ctx context.Context, v *Violations, want map[string]int) {
	api := c.Load.API
	seen := map[string]bool{}
	cursor := ""
	for page := 0; page < 10_000; page++ {
		u := api.views + "/orders?limit=100"
		if cursor != "" {
			u += "&cursor=" + cursor
		}
		r, err := api.do(ctx, 15*time.Second, "GET", u, nil, nil)
		if err != nil || r.Status != 200 {
			v.Addf("GET /orders page %d: %v %s", page, err, r)
			return
		}
		var p struct {
			Orders     []Order `json:"orders"`
			NextCursor *string `json:"next_cursor"`
		}
		if err := json.Unmarshal(r.Body, &p); err != nil {
			v.Addf("GET /orders page %d: %v", page, err)
			return
		}
		for _, o := range p.Orders {
			if seen[o.OrderID] {
				v.Addf("GET /orders lists %s twice", o.OrderID)
			}
			seen[o.OrderID] = true
			if _, ok := want[o.OrderID]; !ok {
				v.Addf("GET /orders lists %s, which no client was given", o.OrderID)
			}
		}
		if p.NextCursor == nil || *p.NextCursor == "" {
			break
		}
		cursor = *p.NextCursor
	}
	if len(seen) != len(want) {
		v.Addf("GET /orders lists %d orders, clients were given %d", len(seen), len(want))
	}
}

// TestCrashEmbedded kills and restarts the single `pizzeria serve` process
// under load, then checks that nothing accepted was lost or doubled and
// that an offline replay of the log gives the same views.
func TestCrashEmbedded(t *testing.T) {
	k := StartEmbedded(t)
	var v Violations
	c := &Crash{
		Kitchen: k,
		Load:    &Load{API: k.API(), Clients: 4, KeyPrefix: k.Prefix, MaxCount: 5, Pause: 100 * time.Millisecond, KeyTimeout: time.Minute, V: &v},
		Kills:   crashKills(t),
		Gap:     1500 * time.Millisecond, Down: 300 * time.Millisecond,
		KillPhase: 3 * time.Minute, Settle: 90 * time.Second,
	}
	want, _ := c.Run(t, &v)
	if v.Len() == 0 {
		checkOfflineReplay(t, &v, k, want)
	}
	v.Report(t)
}

// checkOfflineReplay stops the process, checks the dead-letter topic with
// `pizzeria dlq list`, rebuilds the views from the log with `pizzeria
// replay`, starts the process again and checks that every view and the
// cheese report are byte-identical to before.
func checkOfflineReplay(t *testing.T, v *Violations, k *Kitchen, want map[string]int) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	api, p := k.API(), k.Views
	ids := slices.Sorted(maps.Keys(want))
	before, repBefore := snapshot(ctx, t, api, ids)
	p.Stop(30 * time.Second)
	out, err := runBinary(ctx, "dlq", "list", "--data-dir", p.DataDir, "--topic-prefix", k.Prefix)
	if err != nil || lastLine(out) != "0 dead letters pending" {
		v.Addf("pizzeria dlq list: %v\n%s", err, out)
	}
	out, err = runBinary(ctx, "replay", "--data-dir", p.DataDir, "--topic-prefix", k.Prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("offline replay: %s", lastLine(out))
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	if err := p.WaitHealthy(startTimeout); err != nil {
		t.Fatal(err)
	}
	after, repAfter := snapshot(ctx, t, api, ids)
	changed := 0
	for _, id := range ids {
		if before[id] != after[id] {
			if changed++; changed <= 5 {
				v.Addf("order %s differs after offline replay:\nbefore %s\nafter  %s", id, before[id], after[id])
			}
		}
	}
	if changed > 5 {
		v.Addf("%d order views in all differ after offline replay", changed)
	}
	if repBefore != repAfter {
		v.Addf("cheese report differs after offline replay:\nbefore %s\nafter  %s", repBefore, repAfter)
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
