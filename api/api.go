// Package api serves Pizzeria over HTTP: it maps requests to commands and
// queries, errors to RFC 9457 problem documents, and describes itself with an
// OpenAPI document. It holds no state of its own beyond metrics.
package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/contrib/instrumentation/github.com/gin-gonic/gin/otelgin"

	"github.com/pizzeria/pizzeria/command"
	"github.com/pizzeria/pizzeria/internal/telemetry"
	"github.com/pizzeria/pizzeria/query"
)

// DefaultMaxBodyBytes bounds a request body unless configured otherwise.
const DefaultMaxBodyBytes = 16 << 10

// Admin is what the operator endpoints need. Replay may take a while: it
// runs as a job, told its progress, under Config.JobContext.
type Admin interface {
	Replay(ctx context.Context, progress ReplayProgress) (ReplayStats, error)
	// LogSize is how many events the replayed topics hold, for an ETA.
	LogSize(ctx context.Context) (int64, error)
	DeadLetters(ctx context.Context, limit int) ([]DeadLetter, error)
	Redrive(ctx context.Context) (int, error)
}

// Board is a web page and its assets.
type Board interface {
	http.Handler
	// Paths lists the URL paths it serves.
	Paths() []string
}

// Config says what this node serves. A node may take orders, serve views,
// or both; routes for what it does not do are not registered.
type Config struct {
	// PlaceOrder takes orders; nil: POST routes are not registered.
	PlaceOrder *command.PlaceOrderHandler
	// Queries answers reads; nil: order and report routes are not registered.
	Queries *query.Queries
	// Ready reports readiness for /readyz; a non-nil error's text is shown
	// to operators as the reason. Nil means always ready.
	Ready func(ctx context.Context) error
	// Admin and AdminToken enable the /admin routes; both are needed.
	Admin      Admin
	AdminToken string
	// PublicQueryURL is the base URL where clients read orders, such as
	// http://query.example:8081, when this node does not serve reads
	// itself; the Location of a placed order points under it. Empty: the
	// Location is relative, on this node.
	PublicQueryURL string
	// JobContext bounds long admin work (replay) that outlives its
	// request: cancel it when the server stops (Background if nil).
	JobContext context.Context
	// MaxBodyBytes bounds request bodies (DefaultMaxBodyBytes if 0).
	MaxBodyBytes int64
	// MaxInFlightPerClient bounds the requests one client address has in
	// progress; more get 429 (DefaultMaxInFlightPerClient if 0).
	MaxInFlightPerClient int
	// MaxHolders bounds the requests held open at once, such as those
	// waiting for an order; more get 503 (DefaultMaxHolders if 0).
	MaxHolders int
	// Logger receives one line per request and every unexpected error
	// (slog.Default() if nil).
	Logger *slog.Logger
	// Registry is served at /metrics; the HTTP metrics are registered on it
	// (a fresh registry if nil).
	Registry *prometheus.Registry
	// Watcher wakes the order streams (GET /orders/{id}/events), served
	// when it and Queries are set.
	Watcher query.ChangeWatcher
	// Kitchen feeds GET /kitchen/events; nil: not served.
	Kitchen *KitchenFeed
	// MaxStreams caps open streams (DefaultMaxStreams if 0); one more is
	// refused with a 503.
	MaxStreams int
	// Heartbeat is how often an idle stream says it is alive
	// (DefaultHeartbeat if 0).
	Heartbeat time.Duration
	// Board serves the web board at / when set.
	Board Board
	// Tracing, when set, makes each request a span continuing the W3C
	// trace context the client sent.
	Tracing *telemetry.Tracing
}

func (c *Config) setDefaults() {
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.MaxInFlightPerClient == 0 {
		c.MaxInFlightPerClient = DefaultMaxInFlightPerClient
	}
	if c.MaxHolders == 0 {
		c.MaxHolders = DefaultMaxHolders
	}
	if c.JobContext == nil {
		c.JobContext = context.Background()
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Registry == nil {
		c.Registry = prometheus.NewRegistry()
	}
	if c.MaxStreams == 0 {
		c.MaxStreams = DefaultMaxStreams
	}
	if c.Heartbeat == 0 {
		c.Heartbeat = DefaultHeartbeat
	}
}

// Validate reports every problem with the configuration at once.
func (c Config) Validate() error {
	var errs []error
	if c.MaxStreams < 0 || c.Heartbeat < 0 {
		errs = append(errs, errors.New("api: MaxStreams and Heartbeat must not be negative"))
	}
	if c.MaxBodyBytes < 0 {
		errs = append(errs, errors.New("api: MaxBodyBytes must not be negative"))
	}
	if c.MaxInFlightPerClient < 0 || c.MaxHolders < 0 {
		errs = append(errs, errors.New("api: MaxInFlightPerClient and MaxHolders must not be negative"))
	}
	if q := c.Queries; q != nil && (q.GetOrder == nil || q.ListOrders == nil || q.CheeseReport == nil) {
		errs = append(errs, errors.New("api: Queries must have every handler set"))
	}
	if c.PublicQueryURL != "" {
		if u, err := url.Parse(c.PublicQueryURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			errs = append(errs, errors.New("api: PublicQueryURL must be an absolute http(s) URL without query or fragment"))
		}
	}
	for _, r := range c.AdminToken {
		if r <= ' ' || r >= 0x7f {
			errs = append(errs, errors.New("api: AdminToken must be printable ASCII without spaces, or it cannot be sent in a header"))
			break
		}
	}
	return errors.Join(errs...)
}

// adminEnabled reports whether the admin routes are served.
func (c Config) adminEnabled() bool { return c.Admin != nil && c.AdminToken != "" }

// server holds the configuration the handlers share. Safe for concurrent use.
type server struct {
	cfg     Config
	log     *slog.Logger
	metrics *httpMetrics
	token   tokenDigest
	// openAPIDoc describes the routes this node serves, no others.
	openAPIDoc []byte
	// inFlight counts requests per client; holders has a slot per
	// request held open.
	inFlight *clientGate
	holders  chan struct{}
	held     prometheus.Gauge
	jobs     jobs
	streams  streamSlots
	beats    *pulse // the heartbeat of every stream
	sse      *sseMetrics
}

// NewHandler validates cfg and returns the HTTP handler. It puts gin in
// release mode (a process-wide gin setting) so nothing is printed to stdout.
// An HTTP server in front of it should allow writes of at least
// query.MaxWait plus a margin, or waiting reads are cut short.
func NewHandler(cfg Config) (http.Handler, error) {
	e, err := newEngine(cfg)
	if err != nil {
		return nil, err
	}
	return e, nil
}

func newEngine(cfg Config) (*gin.Engine, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	m, err := newHTTPMetrics(cfg.Registry)
	if err != nil {
		return nil, err
	}
	s := &server{cfg: cfg, log: cfg.Logger, metrics: m, token: digestToken(cfg.AdminToken),
		inFlight: &clientGate{max: cfg.MaxInFlightPerClient}, holders: make(chan struct{}, cfg.MaxHolders)}
	s.streams.max = int64(cfg.MaxStreams)
	s.beats = &pulse{every: cfg.Heartbeat}
	if s.sse, err = newSSEMetrics(cfg.Registry); err != nil {
		return nil, err
	}
	if s.held, err = newHeldGauge(cfg.Registry); err != nil {
		return nil, err
	}

	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	e.HandleMethodNotAllowed = true
	e.RedirectTrailingSlash = false
	e.RedirectFixedPath = false
	// Match on the escaped path so an encoded slash stays inside one id.
	e.UseRawPath = true
	e.UnescapePathValues = true
	// Client addresses are not used; trust no forwarding headers.
	if err := e.SetTrustedProxies(nil); err != nil {
		return nil, err
	}
	if cfg.Tracing != nil {
		e.Use(otelgin.Middleware("pizzeria",
			otelgin.WithTracerProvider(cfg.Tracing.Provider), otelgin.WithPropagators(cfg.Tracing.Propagator())))
	}
	e.Use(s.observe, s.measure, s.recover, s.limitClient)
	e.NoRoute(s.noRoute)
	e.NoMethod(s.noMethod)
	s.routes(e)
	if s.openAPIDoc, err = describe(e.Routes()); err != nil {
		return nil, err
	}
	return e, nil
}

// routes registers every route this node serves.
func (s *server) routes(e *gin.Engine) {
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/metrics", s.metricsHandler())
	e.GET("/openapi.json", s.openAPI)
	if s.cfg.PlaceOrder != nil {
		e.POST("/orders", s.placeOrder)
		e.POST("/order/:count", s.legacyPlaceOrder)
	}
	if s.cfg.Queries != nil {
		e.GET("/orders/:id", s.getOrder)
		e.GET("/orders", s.listOrders)
		e.GET("/reports/cheese", s.cheeseReport)
		e.GET("/order/:id", s.legacyGetOrder)
		e.GET("/report", s.legacyReport)
		if s.cfg.Watcher != nil {
			e.GET("/orders/:id/events", s.orderEvents)
		}
	}
	if s.cfg.Kitchen != nil {
		e.GET("/kitchen/events", s.kitchenEvents)
	}
	if b := s.cfg.Board; b != nil {
		for _, path := range b.Paths() {
			e.GET(path, gin.WrapH(b))
		}
	}
	if s.cfg.adminEnabled() {
		admin := e.Group("/admin", s.requireAdmin)
		admin.POST("/replay", s.replay)
		admin.GET("/jobs/:id", s.job)
		admin.GET("/dead-letters", s.deadLetters)
		admin.POST("/dead-letters/redrive", s.redrive)
	}
}
