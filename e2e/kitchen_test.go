//go:build e2e

package e2e

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// adminToken is the bearer token the views' node of a test kitchen accepts.
const adminToken = "e2e-admin-token"

// startTimeout bounds a process's start, from exec to a healthy /healthz.
const startTimeout = 60 * time.Second

// Kitchen is one running pizzeria deployment under test: its processes, the
// one that takes orders and the one that serves views and admin requests.
// In the embedded deployment both are the same `pizzeria serve` process.
type Kitchen struct {
	Dir    string // data directories and logs of every process
	Prefix string // topic prefix, unique per kitchen
	Procs  []*Proc
	Orders *Proc // serves POST /orders
	Views  *Proc // serves GET /orders/{id}, reports and /admin
}

// API is the HTTP client for this kitchen.
func (k *Kitchen) API() *API { return newAPI(k.Orders.URL(""), k.Views.URL("")) }

// Proc finds a process by name.
func (k *Kitchen) Proc(name string) *Proc {
	for _, p := range k.Procs {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// StartEmbedded runs every role in one `pizzeria serve` on the embedded log.
func StartEmbedded(t *testing.T) *Kitchen {
	k := newKitchen(t)
	p := newProc(t, k.Dir, "serve", "serve", "--topic-prefix", k.Prefix, "--admin-token", adminToken)
	k.Procs, k.Orders, k.Views = []*Proc{p}, p, p
	k.start(t)
	return k
}

// StartKafkaRoles runs each role as its own process on Kafka: command-api,
// order-manager, the four stages and query-api.
func StartKafkaRoles(t *testing.T) *Kitchen {
	requireKafka(t)
	k := newKitchen(t)
	common := []string{"--broker", "kafka", "--kafka-brokers", kafkaBrokers(), "--topic-prefix", k.Prefix}
	role := func(name string, cmd ...string) *Proc {
		return newProc(t, k.Dir, name, append(cmd, common...)...)
	}
	k.Orders = role("command-api", "command-api")
	k.Views = role("query-api", "query-api", "--admin-token", adminToken) // admin is served with the views
	k.Procs = []*Proc{
		k.Orders,
		role("order-manager", "order-manager"),
		role("stage sauce", "stage", "sauce"),
		role("stage cheese", "stage", "cheese"),
		role("stage meats", "stage", "meats"),
		role("stage veggies", "stage", "veggies"),
		k.Views,
	}
	k.start(t)
	return k
}

func newKitchen(t *testing.T) *Kitchen {
	t.Helper()
	dir, err := os.MkdirTemp("", "pizzeria-e2e-")
	if err != nil {
		t.Fatal(err)
	}
	k := &Kitchen{Dir: dir, Prefix: topicPrefix(t)}
	t.Cleanup(func() {
		k.StopAll()
		if t.Failed() {
			k.DumpLogs(t, 60)
			t.Logf("kept data and logs in %s", dir)
			return
		}
		os.RemoveAll(dir)
	})
	t.Logf("kitchen in %s, topic prefix %q", dir, k.Prefix)
	return k
}

var unsafeTopicChars = regexp.MustCompile(`[^a-zA-Z0-9-]+`)

// topicPrefix is unique per call: the test's name and a random suffix.
func topicPrefix(t *testing.T) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	name := strings.ToLower(unsafeTopicChars.ReplaceAllString(strings.TrimPrefix(t.Name(), "Test"), "-"))
	return "e2e-" + name + "-" + hex.EncodeToString(b) + "."
}

// start runs the first process alone (it creates the topics), then the
// rest together, and waits until every one serves HTTP.
func (k *Kitchen) start(t *testing.T) {
	t.Helper()
	begin := time.Now()
	first := k.Procs[0]
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	if err := first.WaitHealthy(startTimeout); err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, len(k.Procs))
	var wg sync.WaitGroup
	for _, p := range k.Procs[1:] {
		if err := p.Start(); err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- p.WaitHealthy(startTimeout)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d process(es) serving after %s", len(k.Procs), time.Since(begin).Round(time.Millisecond))
}

// StopAll stops every process gracefully, in parallel.
func (k *Kitchen) StopAll() {
	var wg sync.WaitGroup
	for _, p := range k.Procs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.Stop(20 * time.Second)
		}()
	}
	wg.Wait()
}

// DumpLogs logs the last n lines of every process's log.
func (k *Kitchen) DumpLogs(t *testing.T, n int) {
	for _, p := range k.Procs {
		t.Logf("----- last %d lines of %s (%s, %d start(s)) -----\n%s", n, p.Name, p.LogPath, p.Starts(), p.Tail(n))
	}
}

// RequireAlive fails the test if any process has exited; pids, when given,
// must be unchanged (the process was never restarted).
func (k *Kitchen) RequireAlive(t *testing.T, pids map[string]int) {
	t.Helper()
	for _, p := range k.Procs {
		if !p.Running() {
			t.Errorf("%s is not running:\n%s", p.Name, p.Tail(30))
		} else if want, ok := pids[p.Name]; ok && p.Pid() != want {
			t.Errorf("%s was restarted (pid %d, was %d)", p.Name, p.Pid(), want)
		}
	}
}

// Pids records each process's current pid.
func (k *Kitchen) Pids() map[string]int {
	m := map[string]int{}
	for _, p := range k.Procs {
		m[p.Name] = p.Pid()
	}
	return m
}
