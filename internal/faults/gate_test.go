package faults

import (
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/pizzeria/pizzeria/internal/boltlog"
	"github.com/pizzeria/pizzeria/internal/testkit"
)

// diskFull is the real embedded log's publisher with a switch that makes
// every append fail as a full disk does, counting the appends tried.
type diskFull struct {
	message.Publisher
	full  atomic.Bool
	tried atomic.Int64
}

func (d *diskFull) Publish(topic string, msgs ...*message.Message) error {
	d.tried.Add(1)
	if d.full.Load() {
		return &pathError{syscall.ENOSPC}
	}
	return d.Publisher.Publish(topic, msgs...)
}

type pathError struct{ err error }

func (e *pathError) Error() string { return "write log.db: " + e.err.Error() }
func (e *pathError) Unwrap() error { return e.err }

func newTestGate(t *testing.T, probe func() error) (*Gate, *testkit.Buffer) {
	t.Helper()
	logs := &testkit.Buffer{}
	g := New(Config{Logger: slog.New(slog.NewTextHandler(logs, nil)), MinBackoff: 5 * time.Millisecond,
		MaxBackoff: 20 * time.Millisecond, Probe: probe})
	t.Cleanup(func() { g.Close() })
	return g, logs
}

func count(t *testing.T, l *boltlog.Log) int {
	t.Helper()
	n, err := l.Count("orders")
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}

func TestAFullDiskIsOneStateLoggedOnceAndRecoversByItself(t *testing.T) {
	l := testkit.OpenLog(t, boltlog.Config{})
	disk := &diskFull{Publisher: l.Publisher()}
	g, logs := newTestGate(t, nil)
	try, wait := g.Publisher(disk, false), g.Publisher(disk, true)
	publish := func(p message.Publisher) error {
		return p.Publish("orders", message.NewMessage("m", []byte("{}")))
	}
	if err := publish(try); err != nil || g.Err() != nil {
		t.Fatalf("healthy: %v, %v", err, g.Err())
	}

	disk.full.Store(true)
	const writers, each = 8, 200
	var refused, failed atomic.Int64
	var wg sync.WaitGroup
	for range writers {
		wg.Go(func() {
			for range each {
				switch err := publish(try); {
				case errors.Is(err, ErrFailing):
					refused.Add(1)
				case errors.Is(err, syscall.ENOSPC):
					failed.Add(1)
				default:
					t.Errorf("a publish to a full disk answered %v", err)
				}
			}
		})
	}
	wg.Wait()
	err := g.Err()
	if err == nil || !strings.Contains(err.Error(), "no space left on device") || !errors.Is(err, ErrFailing) {
		t.Fatalf("while the disk is full the gate says %v", err)
	}
	if refused.Load()+failed.Load() != writers*each || refused.Load() == 0 {
		t.Fatalf("%d refused without trying, %d failed trying", refused.Load(), failed.Load())
	}
	if tried := disk.tried.Load(); tried != failed.Load()+1 || tried >= writers*each/2 {
		t.Fatalf("the full disk saw %d appends for %d publishes: it should see a few probes", tried, writers*each)
	}
	if n := strings.Count(logs.String(), "writes are failing"); n != 1 {
		t.Fatalf("%d lines say writes fail, want 1:\n%s", n, logs)
	}

	// Space returns: a waiting writer probes after the backoff and gets
	// through, and once writes have gone a quiet period without failing
	// the gate is healthy again without anyone resetting it.
	disk.full.Store(false)
	stored := 1
	for deadline := time.Now().Add(10 * time.Second); g.Err() != nil; stored++ {
		if err := publish(wait); err != nil {
			t.Fatalf("after space returned: %v", err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("still failing 10s after space returned: %v", g.Err())
		}
		time.Sleep(time.Millisecond)
	}
	if got := count(t, l); got != stored {
		t.Fatalf("the log holds %d messages, want the %d that succeeded", got, stored)
	}
	if n := strings.Count(logs.String(), "writes succeed again"); n != 1 {
		t.Fatalf("%d lines say writes recovered, want 1:\n%s", n, logs)
	}
}

func TestTheBackgroundProbeRecoversAGateNobodyWritesThrough(t *testing.T) {
	var full atomic.Bool
	full.Store(true)
	probes := make(chan struct{}, 100)
	g, logs := newTestGate(t, func() error {
		probes <- struct{}{}
		if full.Load() {
			return syscall.ENOSPC
		}
		return nil
	})
	tk, _ := g.Try()
	tk.Done(syscall.EIO) // an fsync failed
	<-probes             // the background probe tries, and fails
	if g.Err() == nil {
		t.Fatal("healthy after a failed probe")
	}
	full.Store(false)
	for deadline := time.Now().Add(10 * time.Second); g.Err() != nil; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the gate did not recover with nobody writing")
		}
	}
	if !strings.Contains(logs.String(), "input/output error") || strings.Count(logs.String(), "writes succeed again") != 1 {
		t.Fatalf("logs:\n%s", logs)
	}
}

// A nearly full disk lets some writes through and fails others: that is
// one spell, logged once, not a state that flaps with every write.
func TestANearlyFullDiskDoesNotFlap(t *testing.T) {
	g, logs := newTestGate(t, nil)
	for i := range 400 {
		tk, err := g.Wait()
		if err != nil {
			t.Fatal(err)
		}
		if i%3 == 0 {
			tk.Done(syscall.ENOSPC)
		} else {
			tk.Done(nil)
		}
	}
	if g.Err() == nil {
		t.Fatal("healthy while every third write fails")
	}
	if a, b := strings.Count(logs.String(), "writes are failing"), strings.Count(logs.String(), "writes succeed again"); a != 1 || b != 0 {
		t.Fatalf("%d failing and %d recovered lines for one spell:\n%s", a, b, logs)
	}
}
