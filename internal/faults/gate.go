// Package faults turns a run of failing writes (a full disk, a failing
// fsync, a broker away) into one known state: it is logged once when
// writes start failing and once when they have recovered, readiness
// reports it with its reason, and writers back off instead of spinning.
package faults

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// ErrFailing: writes are failing and this one was not attempted; it may be
// retried once the store recovers. The wrapped text says since when and
// the last failure.
var ErrFailing = errors.New("writes are failing")

// errClosed: the gate closed while a writer waited on it.
var errClosed = errors.New("faults: the gate is closed")

// Default backoff between attempts while writes fail.
const (
	DefaultMinBackoff = 100 * time.Millisecond
	DefaultMaxBackoff = 5 * time.Second
)

// Config configures a Gate; zero fields take the defaults.
type Config struct {
	// Logger gets one line when writes start failing and one when they
	// have recovered (slog.Default() if nil).
	Logger *slog.Logger
	// MinBackoff is the first pause after a failure; it doubles with each
	// failed probe up to MaxBackoff. MaxBackoff is also how long writes
	// must pass without a failure, after a probe succeeds, before the gate
	// reports recovery, so a
	// nearly full disk, where some writes pass and some fail, is one
	// spell and not a flapping state.
	MinBackoff, MaxBackoff time.Duration
	// Probe, if set, is tried in the background while writes fail, so the
	// gate recovers even when no writer comes by (a node marked not ready
	// gets no orders to try with). It should write and sync the way the
	// store does.
	Probe func() error
}

// Gate watches writes. While they succeed it only looks. Once one fails
// it lets a single attempt through per backoff period (the probe): other
// writers either wait for the outcome (Wait) or are refused at once with
// ErrFailing (Try), so a failing store sees a few attempts a second
// whatever the load. A successful probe opens the gate again to every
// writer; it reports recovery once writes have passed for MaxBackoff
// without a failure and one succeeds after that. Safe for concurrent use.
type Gate struct {
	cfg Config
	now func() time.Time

	mu       sync.Mutex
	last     error // nil while healthy
	open     bool  // in a spell, after a successful probe: every write goes through
	since    time.Time
	openedAt time.Time
	attempts int // failed attempts in this spell
	backoff  time.Duration
	retryAt  time.Time
	probing  bool
	changed  chan struct{} // closed and replaced when the state changes
	closed   chan struct{}
}

// New returns a healthy gate.
func New(cfg Config) *Gate {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = DefaultMinBackoff
	}
	if cfg.MaxBackoff < cfg.MinBackoff {
		cfg.MaxBackoff = max(DefaultMaxBackoff, cfg.MinBackoff)
	}
	g := &Gate{cfg: cfg, now: time.Now, changed: make(chan struct{}), closed: make(chan struct{})}
	if cfg.Probe != nil {
		go g.probeWhileFailing()
	}
	return g
}

// Close stops the background probe and releases every waiting writer
// with an error.
func (g *Gate) Close() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	select {
	case <-g.closed:
	default:
		close(g.closed)
	}
	return nil
}

// Err is nil while writes succeed; otherwise it says since when they fail,
// how often they failed and the last failure, for readiness.
func (g *Gate) Err() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.last == nil {
		return nil
	}
	return fmt.Errorf("%w since %s (%d failed attempts, retrying every %s at most): %v",
		ErrFailing, g.since.UTC().Format(time.RFC3339), g.attempts, g.cfg.MaxBackoff, g.last)
}

// A Ticket is one admitted write; Done or Release ends it.
type Ticket struct {
	g     *Gate
	probe bool
	done  bool
}

// Try admits a write at once or refuses it with ErrFailing.
func (g *Gate) Try() (*Ticket, error) { return g.admit(false) }

// Wait admits a write, waiting while writes fail until it may probe or
// another probe succeeds.
func (g *Gate) Wait() (*Ticket, error) { return g.admit(true) }

func (g *Gate) admit(wait bool) (*Ticket, error) {
	for {
		g.mu.Lock()
		if g.last == nil || g.open {
			g.mu.Unlock()
			return &Ticket{g: g}, nil
		}
		now := g.now()
		if !g.probing && !now.Before(g.retryAt) {
			g.probing = true
			g.mu.Unlock()
			return &Ticket{g: g, probe: true}, nil
		}
		if !wait {
			g.mu.Unlock()
			return nil, g.Err()
		}
		changed, d := g.changed, g.retryAt.Sub(now)
		if g.probing || d <= 0 {
			d = g.cfg.MaxBackoff
		}
		g.mu.Unlock()
		t := time.NewTimer(d)
		select {
		case <-changed:
		case <-t.C:
		case <-g.closed:
			t.Stop()
			return nil, errClosed
		}
		t.Stop()
	}
}

// Done records the outcome of the write: nil for success, an error for a
// failure of the store. Only the first of Done and Release counts.
func (t *Ticket) Done(err error) {
	if t == nil || t.done {
		return
	}
	t.done = true
	g := t.g
	g.mu.Lock()
	defer g.mu.Unlock()
	if t.probe {
		g.probing = false
	}
	if err == nil {
		g.succeededLocked(t.probe)
	} else {
		g.failedLocked(err, t.probe)
	}
}

func (g *Gate) succeededLocked(probe bool) {
	now := g.now()
	switch {
	case g.last == nil:
		return // the common case: nothing changes
	case g.open && now.Sub(g.openedAt) >= g.cfg.MaxBackoff:
		g.cfg.Logger.Info("writes succeed again", "failing_for", g.openedAt.Sub(g.since).Round(time.Millisecond),
			"failed_attempts", g.attempts)
		g.last, g.open, g.attempts, g.backoff = nil, false, 0, 0
	case probe:
		g.open, g.openedAt = true, now
	}
	g.signalLocked()
}

func (g *Gate) failedLocked(err error, probe bool) {
	select {
	case <-g.closed:
		return // shutting down: stores closing under writers is no fault
	default:
	}
	now := g.now()
	switch {
	case g.last == nil:
		g.since, g.backoff = now, g.cfg.MinBackoff
		g.cfg.Logger.Error("writes are failing; backing off and reporting not ready until they succeed",
			"error", err, "max_backoff", g.cfg.MaxBackoff)
	case probe || g.open:
		g.backoff = min(2*g.backoff, g.cfg.MaxBackoff)
	}
	g.last, g.open = err, false
	g.attempts++
	g.retryAt = now.Add(g.backoff)
	g.signalLocked()
}

// Release ends the ticket without a verdict on the store.
func (t *Ticket) Release() {
	if t == nil || t.done {
		return
	}
	t.done = true
	if t.probe {
		t.g.mu.Lock()
		t.g.probing = false
		t.g.signalLocked()
		t.g.mu.Unlock()
	}
}

func (g *Gate) signalLocked() {
	close(g.changed)
	g.changed = make(chan struct{})
}

// probeWhileFailing runs Probe until Close: as the gate's probe while
// writes fail, and once more after the quiet period when the gate is
// open, so that it recovers with nobody writing.
func (g *Gate) probeWhileFailing() {
	for {
		g.mu.Lock()
		healthy, open, changed := g.last == nil, g.open, g.changed
		quietAt := g.openedAt.Add(g.cfg.MaxBackoff)
		g.mu.Unlock()
		switch {
		case healthy:
			select {
			case <-changed:
			case <-g.closed:
				return
			}
		case open:
			t := time.NewTimer(max(time.Until(quietAt), 0))
			select {
			case <-changed:
				t.Stop()
				continue
			case <-t.C:
			case <-g.closed:
				t.Stop()
				return
			}
			tk, err := g.Try()
			if err != nil {
				continue
			}
			tk.Done(g.cfg.Probe())
		default:
			tk, err := g.Wait()
			if err != nil {
				return // closed
			}
			if !tk.probe {
				tk.Release() // reopened meanwhile
				continue
			}
			tk.Done(g.cfg.Probe())
		}
	}
}
