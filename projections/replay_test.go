package projections

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/pizzeria/pizzeria/internal/testkit"

	"github.com/pizzeria/pizzeria/internal/boltlog"
)

// record appends the events to the log and applies them live, as the
// running kitchen does.
func record(tb testing.TB, l *boltlog.Log, s *Store, evs []logged) {
	tb.Helper()
	for _, e := range evs {
		if err := l.Publisher().Publish(e.Topic, e.Msg.Copy()); err != nil {
			tb.Fatal(err)
		}
		if s != nil {
			if err := s.Apply(decode(tb, e)); err != nil {
				tb.Fatal(err)
			}
		}
	}
}

func TestRebuildEqualsLiveThenSwaps(t *testing.T) {
	l, s := testkit.OpenLog(t, boltlog.Config{}), MustOpen(t)
	for i := range 4 {
		record(t, l, s, kitchen(t, fmt.Sprint("order-", i), 3+i, t0.Add(time.Duration(i)*time.Second)))
	}
	live, _ := s.Digest()
	var progressed bool
	st, err := s.Rebuild(context.Background(), l, codec, func(string, int) { progressed = true })
	if err != nil {
		t.Fatal(err)
	}
	if rebuilt, _ := s.Digest(); rebuilt != live {
		t.Fatal("rebuilt views differ from the live ones")
	}
	if st.Generation != 2 || st.Read == 0 || st.Read != st.Applied || !progressed {
		t.Fatalf("stats %+v, progress reported: %v", st, progressed)
	}
	if _, err := os.Stat(genPath(s.dir, 1)); !os.IsNotExist(err) {
		t.Fatalf("the old views file is still there: %v", err)
	}
}

func TestRebuildSurvivesReopen(t *testing.T) {
	l := testkit.OpenLog(t, boltlog.Config{})
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	record(t, l, s, kitchen(t, "o", 2, t0))
	want, _ := s.Digest()
	if _, err := s.Rebuild(context.Background(), l, codec, nil); err != nil {
		t.Fatal(err)
	}
	s.Close()
	again, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if got, _ := again.Digest(); got != want || again.gen != 2 {
		t.Fatalf("after reopen: generation %d, same views: %v", again.gen, got == want)
	}
}

// Events keep arriving and being applied while the rebuild reads the log:
// the swapped-in views must hold them all.
func TestRebuildWhileEventsKeepArriving(t *testing.T) {
	l, s := testkit.OpenLog(t, boltlog.Config{}), MustOpen(t)
	all := kitchen(t, "before", 5, t0)
	record(t, l, s, all)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range 20 {
			evs := kitchen(t, fmt.Sprint("during-", i), 2, t0.Add(time.Duration(i+1)*time.Minute))
			all = append(all, evs...)
			record(t, l, s, evs)
		}
	}()
	for range 3 {
		if _, err := s.Rebuild(context.Background(), l, codec, nil); err != nil && !errors.Is(err, ErrRebuildInProgress) {
			t.Fatal(err)
		}
	}
	wg.Wait()
	fresh := MustOpen(t)
	for _, e := range all {
		fresh.Apply(decode(t, e))
	}
	want, _ := fresh.Digest()
	if got, _ := s.Digest(); got != want {
		t.Fatal("views rebuilt under load lost or changed events")
	}
}

func TestRebuildRefusesAnEmptyLogOverFullViews(t *testing.T) {
	s := MustOpen(t)
	for _, e := range kitchen(t, "o", 2, t0) {
		s.Apply(decode(t, e))
	}
	before, _ := s.Digest()
	_, err := s.Rebuild(context.Background(), testkit.OpenLog(t, boltlog.Config{}), codec, nil)
	if !errors.Is(err, ErrEmptyLog) {
		t.Fatalf("got %v, want ErrEmptyLog", err)
	}
	if after, _ := s.Digest(); after != before {
		t.Fatal("a refused rebuild changed the views")
	}
	if _, err := MustOpen(t).Rebuild(context.Background(), testkit.OpenLog(t, boltlog.Config{}), codec, nil); err != nil {
		t.Fatalf("an empty log over empty views is fine: %v", err)
	}
}
