package main

import (
	"bytes"
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pizzeria/pizzeria/internal/testkit"
)

// cookedDataDir is a stopped data dir holding three completed orders, and
// their views as served.
func cookedDataDir(t *testing.T) (string, map[string]string) {
	dir := t.TempDir()
	in := start(t, "--data-dir", dir)
	views := map[string]string{}
	for _, n := range []int{3, 1, 2} {
		id := in.placeOrder(t, n)
		views[id] = string(in.awaitCompleted(t, id, n))
	}
	in.stop(t)
	return dir, views
}

// runFor runs one command line to its end (bounded) and returns its exit
// code and everything it wrote.
func runFor(t *testing.T, limit time.Duration, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), limit)
	defer cancel()
	var out testkit.Buffer
	code := run(ctx, args, func(string) string { return "" }, &out, &out)
	return code, out.String()
}

// Damage to a stopped data dir ends in a clear error, a refusal or a
// self-heal: never a crash dump, never views that quietly changed.
func TestDamagedDataDir(t *testing.T) {
	views := filepath.Join("views", "views-000001.db")
	cases := []struct {
		name   string
		damage func(t *testing.T, dir string)
		// refused: serving is refused with this text; otherwise the
		// service heals and serves the same views. pizzeria check reports
		// every kind of damage.
		refused string
		// reported: the damage cannot be healed (it is in the views, which
		// the service cannot tell from a missing file until it reads a
		// record): reads of a damaged record answer an error, not changed
		// data.
		reported bool
		// adopt: after the refusal, replay --force adopts the log.
		adopt bool
		// logDamaged: the log itself is damaged: serving and replay refuse
		// with an error naming it, and the views stay as they were.
		logDamaged bool
	}{
		{name: "emptied log", damage: truncate("log.db", 0), refused: "is empty"},
		{name: "log removed under full views", damage: remove("log.db"),
			refused: "the views were built from another event log"},
		{name: "log replaced by another, longer one", damage: fromOtherKitchen("log.db", 5, 4),
			refused: "the views were built from another event log", adopt: true},
		{name: "log truncated mid-file", damage: truncate("log.db", 0.1),
			refused: "log.db"},
		{name: "order manager's ledger from another kitchen", damage: fromOtherKitchen(ledgerFile, 1, 2),
			refused: "the order manager's ledger was built from another event log", adopt: true},
		{name: "log put back from an older copy, views lost", damage: olderLogViewsLost,
			refused: "shorter than what the order manager's ledger has seen", adopt: true},
		{name: "views file deleted", damage: remove(views)},
		{name: "views file emptied", damage: truncate(views, 0)},
		{name: "CURRENT names a missing file", damage: write(filepath.Join("views", "CURRENT"), "7\n")},
		{name: "CURRENT garbled", damage: write(filepath.Join("views", "CURRENT"), "seven\n"),
			refused: "CURRENT is damaged"},
		{name: "one byte of a view record changed", damage: flipInViews, reported: true},
		{name: "garbage in a page of the log", damage: garbleLogPage, logDamaged: true},
		{name: "one byte of the log changed", damage: flipInLog, logDamaged: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir, want := cookedDataDir(t)
			if code, out := runFor(t, 30*time.Second, "check", "--data-dir", dir); code != 0 {
				t.Fatalf("check of a sound data dir exited %d:\n%s", code, out)
			}
			c.damage(t, dir)
			code, out := runFor(t, 30*time.Second, "check", "--data-dir", dir)
			if noCrash(t, out); code == 0 || !strings.Contains(out, "DAMAGED") {
				t.Fatalf("check exited %d on a damaged data dir:\n%s", code, out)
			}
			if c.logDamaged {
				// Nothing is served or rebuilt from a damaged log, and the
				// views built before the damage stay as they were.
				for _, args := range [][]string{{"replay", "--data-dir", dir}, {"--data-dir", dir, "--http-addr", freeAddr(t)}} {
					code, out := runFor(t, 30*time.Second, args...)
					if noCrash(t, out); code == 0 || !strings.Contains(out, "log.db") {
						t.Fatalf("%v over a damaged log exited %d, want an error naming the file:\n%s", args, code, out)
					}
				}
				_, out := runFor(t, 30*time.Second, "check", "--data-dir", dir)
				if !regexp.MustCompile(`views\s+\S+: ok`).MatchString(out) {
					t.Fatalf("the views changed after the log was damaged:\n%s", out)
				}
				return
			}
			if c.refused != "" {
				code, out := runFor(t, 30*time.Second, "--data-dir", dir, "--http-addr", freeAddr(t))
				if noCrash(t, out); code == 0 || !strings.Contains(out, c.refused) {
					t.Fatalf("serve exited %d, want a refusal saying %q:\n%s", code, c.refused, out)
				}
				if c.adopt {
					// Told that the new log is meant, replay rebuilds the
					// views from it and the data dir is whole again.
					for _, args := range [][]string{{"replay", "--force", "--data-dir", dir}, {"check", "--data-dir", dir}} {
						if code, out := runFor(t, 30*time.Second, args...); code != 0 {
							t.Fatalf("%v exited %d:\n%s", args, code, out)
						}
					}
				}
				return
			}
			in := start(t, "--data-dir", dir)
			reported := 0
			for id, view := range want {
				code, got := in.do(t, "GET", "/orders/"+id+"?wait=10s", "")
				if c.reported && code == 500 {
					reported++
					continue
				}
				if string(got) != view {
					t.Fatalf("order %s after %s:\n got %d %s\nwant %s", id, c.name, code, got, view)
				}
			}
			in.stop(t)
			if c.reported {
				if reported == 0 {
					t.Fatal("no read reported the damaged record")
				}
				return
			}
			if code, out := runFor(t, 30*time.Second, "check", "--data-dir", dir); code != 0 {
				t.Fatalf("check after healing exited %d:\n%s", code, out)
			}
		})
	}
}

func noCrash(t *testing.T, out string) {
	t.Helper()
	for _, sign := range []string{"goroutine ", "panic:", "SIGSEGV"} {
		if strings.Contains(out, sign) {
			t.Fatalf("crash dump instead of an error:\n%s", out)
		}
	}
}

func truncate(name string, keep float64) func(*testing.T, string) {
	return func(t *testing.T, dir string) {
		path := filepath.Join(dir, name)
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Truncate(path, int64(float64(st.Size())*keep)); err != nil {
			t.Fatal(err)
		}
	}
}

func remove(name string) func(*testing.T, string) {
	return func(t *testing.T, dir string) {
		if err := os.Remove(filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
}

func write(name, content string) func(*testing.T, string) {
	return func(t *testing.T, dir string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// flipInViews changes one byte inside the stored topping of every copy of
// a pizza record in the views file.
func flipInViews(t *testing.T, dir string) {
	path := filepath.Join(dir, "views", "views-000001.db")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, topping := range []string{"three cheese", "goat cheese", "extra", "none"} {
		for i := bytes.Index(b, []byte(topping)); i >= 0; i = bytes.Index(b, []byte(topping)) {
			b[i] ^= 0x01
			n++
		}
		if n > 0 {
			break
		}
	}
	if n == 0 {
		t.Fatal("no cheese found in the views file")
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// garbleLogPage overwrites with random bytes every page of the log that
// holds an order's placement.
func garbleLogPage(t *testing.T, dir string) {
	path := filepath.Join(dir, "log.db")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	const page = 4096
	junk := make([]byte, page)
	rand.NewChaCha8([32]byte{1}).Read(junk)
	n := 0
	for at := bytes.Index(b, []byte(`"count"`)); at >= 0; at = bytes.Index(b, []byte(`"count"`)) {
		copy(b[at/page*page:], junk) // every copy, so the page in use is among them
		n++
	}
	if n == 0 {
		t.Fatal("no page of the log holds an OrderPlaced")
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// flipInLog changes one byte in every stored copy of an order id in the
// log: inside an event, where only the record checksum can tell.
func flipInLog(t *testing.T, dir string) {
	path := filepath.Join(dir, "log.db")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, word := range []string{"count", "cheese", "sauce"} {
		for i := bytes.Index(b, []byte(word)); i >= 0; i = bytes.Index(b, []byte(word)) {
			b[i] ^= 0x01
			n++
		}
	}
	if n == 0 {
		t.Fatal("no plain field name in the log to change")
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// fromOtherKitchen replaces file in the data dir with the same file of
// another kitchen, which completed orders of pizzas each.
func fromOtherKitchen(file string, orders, pizzas int) func(*testing.T, string) {
	return func(t *testing.T, dir string) {
		other := t.TempDir()
		in := start(t, "--data-dir", other)
		for range orders {
			id := in.placeOrder(t, pizzas)
			in.awaitCompleted(t, id, pizzas)
		}
		in.stop(t)
		b, err := os.ReadFile(filepath.Join(other, file))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, file), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// olderLogViewsLost puts back a copy of the log taken before two more
// orders, and deletes the views: they would be rebuilt from the log, but
// the order manager's ledger has seen the log reach further.
func olderLogViewsLost(t *testing.T, dir string) {
	path := filepath.Join(dir, "log.db")
	old, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	in := start(t, "--data-dir", dir)
	for range 2 {
		id := in.placeOrder(t, 2)
		in.awaitCompleted(t, id, 2)
	}
	in.stop(t)
	if err := os.WriteFile(path, old, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(dir, "views")); err != nil {
		t.Fatal(err)
	}
}
