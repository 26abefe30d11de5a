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
	closers []io.Closer
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
	p = &process{}
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
	t = obs.instrument(t)
	if p.kitchen, err = newKitchen(t, codec, cfg.TopicPrefix, wlog, reg, cfg.ShutdownTimeout, obs.handlers); err != nil {
		return p, err
	}
	if r.manager {
		ledger, err := boltstore.OpenLedger(filepath.Join(cfg.DataDir, "order-manager.db"))
		if err != nil {
			return p, err
		}
		p.closers = append(p.closers, ledger)
		if err := p.kitchen.addOrderManager(ledger); err != nil {
			return p, err
		}
	}
	for _, s := range r.stages {
		if err := p.kitchen.addStage(s); err != nil {
			return p, err
		}
	}
	apiCfg := api.Config{Logger: logger, Registry: reg, Ready: readiness(t, p.kitchen, cfg.ReadyMaxLag), Tracing: obs.tracing}
	if r.views {
		if p.store, err = projections.Open(filepath.Join(cfg.DataDir, "views")); err != nil {
			return p, err
		}
		p.closers = append(p.closers, p.store)
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
			apiCfg.Admin, apiCfg.AdminToken = newAdmin(cfg, t, codec, p.store, logger), cfg.AdminToken
		}
	}
	if r.commands {
		p.place = command.NewPlaceOrderHandler(t.Publisher(), codec, cfg.MaxCount)
		apiCfg.PlaceOrder = p.place
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
	srv := &http.Server{Handler: p.handler,
		ReadHeaderTimeout: 10 * time.Second,
		WriteTimeout:      query.MaxWait + 15*time.Second, // ?wait= may hold an answer that long
		IdleTimeout:       2 * time.Minute,
		BaseContext:       func(net.Listener) context.Context { return base }}
	srv.RegisterOnShutdown(release)
	s := &serving{p: p, srv: srv, addr: ln.Addr().String(), failed: make(chan error, 2)}
	go func() {
		if err := p.kitchen.router.Run(ctx); err != nil {
			s.failed <- fmt.Errorf("message router: %w", err)
		}
	}()
	go func() {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			s.failed <- fmt.Errorf("http: %w", err)
		}
	}()
	select {
	case <-p.kitchen.router.Running():
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
	return errors.Join(s.srv.Shutdown(ctx), s.p.kitchen.router.Close())
}

func topics(cfg *config) events.Topics {
	return events.DefaultTopics().WithPrefix(cfg.TopicPrefix)
}

// readiness reports the log unreachable, or this node's consumers too far
// behind it, in words an operator can act on.
func readiness(t transport, k *kitchen, maxLag int64) func(context.Context) error {
	return func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		if err := t.Ping(ctx); err != nil {
			return fmt.Errorf("event log unreachable: %v", err)
		}
		for group, topics := range k.consumed {
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
