package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/pizzeria/pizzeria/api"
	"github.com/pizzeria/pizzeria/command"
	"github.com/pizzeria/pizzeria/events"
	"github.com/pizzeria/pizzeria/internal/boltstore"
	"github.com/pizzeria/pizzeria/internal/faults"
	"github.com/pizzeria/pizzeria/projections"
	"github.com/pizzeria/pizzeria/query"
)

// roles says which parts of the kitchen a process runs.
type roles struct {
	commands bool
	manager  bool
	stages   []events.Stage
	views    bool
}

func allRoles() roles {
	return roles{commands: true, manager: true, stages: events.WorkerStages[:], views: true}
}

// serve runs the given roles until ctx is cancelled (SIGINT/SIGTERM), then
// stops taking requests, lets in-flight handlers finish and their offsets
// commit, and closes every file, within cfg.ShutdownTimeout.
func serve(ctx context.Context, cfg *config, r roles, stderr io.Writer) error {
	logger := newLogger(cfg, stderr)
	p, err := build(ctx, cfg, r, logger)
	if err != nil {
		return err
	}
	defer p.Close()
	return runUntilDone(ctx, cfg, logger, p)
}

// process is one assembled pizzeria process: its roles, its HTTP handler
// and what must be closed, in order, when it stops.
type process struct {
	kitchen *kitchen
	handler http.Handler
	place   *command.PlaceOrderHandler // nil unless it takes orders
	store   *projections.Store         // nil unless it serves views
	healer  *healer                    // rebuilds lost views at start; nil unless needed
	log     transport                  // the event log, unwrapped: no gate, no tracing
	closers []io.Closer
	// maxConnsPerClient caps the connections one address may hold.
	maxConnsPerClient int
}

// Close closes stores and then the transport, in reverse order of opening.
func (p *process) Close() error {
	var errs []error
	for i := len(p.closers) - 1; i >= 0; i-- {
		errs = append(errs, p.closers[i].Close())
	}
	return errors.Join(errs...)
}

func build(ctx context.Context, cfg *config, r roles, logger *slog.Logger) (p *process, err error) {
	p = &process{maxConnsPerClient: cfg.MaxConnsPerClient}
	defer func() {
		if err != nil {
			p.Close()
		}
	}()
	wlog := watermill.NewSlogLogger(logger)
	codec := events.NewCodec(topics(cfg))
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	var t transport
	obs, err := newObservability(ctx, cfg, logger, reg, p, func() transport { return t })
	if err != nil {
		return p, err
	}
	p.closers = append(p.closers, obs)
	if t, err = openTransport(ctx, cfg, wlog, codec.Topics()); err != nil {
		return p, err
	}
	p.closers = append(p.closers, t)
	// Orders are refused at once while writes fail; the kitchen waits.
	writes := newWriteGate(cfg, t, logger)
	p.closers = append(p.closers, writes)
	log := t // the log itself, for what the wrappers below hide
	p.log = log
	t = obs.instrument(t)
	orders := writes.Publisher(t.Publisher(), false)
	t = gate(t, writes)
	if p.kitchen, err = newKitchen(t, codec, cfg.TopicPrefix, writes, reg, cfg.ShutdownTimeout, obs.handlers, logger); err != nil {
		return p, err
	}
	for _, s := range r.stages {
		if err := p.kitchen.addStage(s); err != nil {
			return p, err
		}
	}
	apiCfg := api.Config{Logger: logger, Registry: reg, Ready: readiness(t, p, cfg.ReadyMaxLag, writes), PublicQueryURL: cfg.PublicQueryURL, JobContext: ctx, Tracing: obs.tracing}
	if r.views {
		if p.store, err = projections.Open(viewsDir(cfg)); err != nil {
			return p, err
		}
		p.closers = append(p.closers, p.store)
		if err := checkViewsMatchLog(ctx, log, p.store, viewsDir(cfg)); err != nil {
			return p, err
		}
		lost, err := needsHealing(ctx, p.store, t, codec.Topics())
		if err != nil {
			return p, err
		}
		if lost {
			p.healer = &healer{store: p.store, t: log, codec: codec, logger: logger}
			p.healer.busy.Store(true)
		}
		node, err := nodeID(cfg)
		if err != nil {
			return p, err
		}
		if err := p.kitchen.addViews(p.store, node); err != nil {
			return p, err
		}
		q := query.New(p.store, p.store.Notifier())
		apiCfg.Queries = &q
		if err := obs.serveViews(p.store, &q, totalLag(t, p.kitchen), reg, &apiCfg); err != nil {
			return p, err
		}
		if cfg.AdminToken != "" {
			apiCfg.Admin, apiCfg.AdminToken = apiAdmin{newAdmin(cfg, t, codec, p.store, logger)}, cfg.AdminToken
		}
	}
	// After the views: where both were built from another log, the views'
	// refusal says so first.
	if r.manager {
		ledger, err := openLedger(ctx, cfg, t, log, codec, logger)
		if err != nil {
			return p, err
		}
		p.closers = append(p.closers, ledger)
		if err := p.kitchen.addOrderManager(ledger.Ledger); err != nil {
			return p, err
		}
	}
	if r.commands {
		keys, err := boltstore.OpenKeys(filepath.Join(cfg.DataDir, "idempotency.db"), cfg.IdempotencyWindow)
		if err != nil {
			return p, err
		}
		p.closers = append(p.closers, keys)
		p.place = command.NewPlaceOrderHandler(orders, codec, cfg.MaxCount).RememberKeys(keys)
		p.closers = append(p.closers, p.place) // before the keys: its last marks land
		apiCfg.PlaceOrder = p.place
	}
	// Last, so that a start refused by the checks above deletes nothing.
	if r := startDeadLetterRetention(log, codec.Topics().DeadLetters, cfg.DeadLetterRetention, logger); r != nil {
		p.closers = append(p.closers, r)
	}
	p.handler, err = api.NewHandler(apiCfg)
	return p, err
}

func runUntilDone(ctx context.Context, cfg *config, logger *slog.Logger, p *process) error {
	s, err := p.start(ctx, cfg.HTTPAddr)
	if err != nil {
		return err
	}
	logger.Info("pizzeria is serving", "http", s.addr, "broker", cfg.Broker, "data_dir", cfg.DataDir)
	var runErr error
	select {
	case <-ctx.Done():
		logger.Info("stopping: draining requests and in-flight messages", "timeout", cfg.ShutdownTimeout)
	case runErr = <-s.failed:
		logger.Error("stopping after a failure", "error", runErr)
	}
	if err := s.stop(cfg.ShutdownTimeout); err != nil {
		logger.Warn("did not stop cleanly", "error", err)
	}
	logger.Info("stopped")
	return runErr
}

// serving is a process whose message router runs and whose HTTP handler
// answers on addr.
type serving struct {
	p      *process
	srv    *http.Server
	addr   string     // the address listened on, port resolved
	failed chan error // the router or the server stopped by itself
}

// start runs the process's router and serves its handler on addr ("host:0"
// picks a free port), returning once both run.
func (p *process) start(ctx context.Context, addr string) (*serving, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	// Requests waiting for an order (?wait=) are released at shutdown
	// rather than holding it up.
	base, release := context.WithCancel(context.Background())
	limits := api.DefaultLimits()
	limits.MaxConnsPerClient = p.maxConnsPerClient
	guarded := api.LimitListener(ln, limits)
	srv := api.NewServer(p.handler, limits, base)
	srv.RegisterOnShutdown(release)
	s := &serving{p: p, srv: srv, addr: ln.Addr().String(), failed: make(chan error, 2)}
	go func() {
		if err := p.kitchen.runner.Run(ctx); err != nil {
			s.failed <- fmt.Errorf("kitchen: %w", err)
		}
	}()
	go func() {
		if err := srv.Serve(guarded); !errors.Is(err, http.ErrServerClosed) {
			s.failed <- fmt.Errorf("http: %w", err)
		}
	}()
	select {
	case <-p.kitchen.runner.Running():
		if p.healer != nil {
			go p.healer.run(ctx)
		}
		return s, nil
	case err := <-s.failed:
		return nil, errors.Join(err, s.stop(time.Second))
	}
}

// stop stops taking requests, then lets requests and handlers in flight
// finish (their offsets commit) within timeout.
func (s *serving) stop(timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return errors.Join(s.srv.Shutdown(ctx), s.p.kitchen.runner.Close())
}

func topics(cfg *config) events.Topics {
	return events.DefaultTopics().WithPrefix(cfg.TopicPrefix)
}

// readiness reports writes failing (a full disk), views being rebuilt, the
// log unreachable, or this node's consumers too far behind it, in words an
// operator can act on.
func readiness(t transport, p *process, maxLag int64, writes *faults.Gate) func(context.Context) error {
	return func(ctx context.Context) error {
		if err := writes.Err(); err != nil {
			return fmt.Errorf("%v; orders are refused until a write succeeds", err)
		}
		if err := p.healer.notReady(); err != nil {
			return err
		}
		k := p.kitchen
		ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		if err := t.Ping(ctx); err != nil {
			return fmt.Errorf("event log unreachable: %v", err)
		}
		for group, topics := range k.Consumed() {
			lag, err := t.Lag(ctx, group, topics)
			if err != nil {
				return fmt.Errorf("cannot read consumer lag of %s: %v", group, err)
			}
			if lag > maxLag {
				return fmt.Errorf("%s is %d events behind the log (ready at %d or fewer)", group, lag, maxLag)
			}
		}
		return nil
	}
}
