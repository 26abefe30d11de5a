package api

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// httpMetrics counts and times requests by route template, method and
// status. Labels come from fixed sets only (templates, known methods), so
// their number stays bounded whatever clients send.
type httpMetrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

var metricLabels = []string{"route", "method", "status"}

func newHTTPMetrics(reg *prometheus.Registry) (*httpMetrics, error) {
	requests, err := register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "pizzeria_http_requests_total",
		Help: "HTTP requests served, by route template, method and status.",
	}, metricLabels))
	if err != nil {
		return nil, err
	}
	latency, err := register(reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "pizzeria_http_request_duration_seconds",
		Help: "Time to serve an HTTP request, by route template, method and status.",
		// Up to a minute: waiting order reads may be held that long.
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
	}, metricLabels))
	if err != nil {
		return nil, err
	}
	return &httpMetrics{requests: requests, latency: latency}, nil
}

// register registers c, or returns the collector already registered under
// the same description, so several handlers can share one registry.
func register[C prometheus.Collector](reg *prometheus.Registry, c C) (C, error) {
	err := reg.Register(c)
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing, nil
		}
	}
	return c, err
}

// measure records every request, including 404s, 405s and recovered panics.
func (s *server) measure(c *gin.Context) {
	start := time.Now()
	c.Next()
	labels := prometheus.Labels{
		"route":  routeOf(c),
		"method": methodLabel(c.Request.Method),
		"status": strconv.Itoa(c.Writer.Status()),
	}
	s.metrics.requests.With(labels).Inc()
	s.metrics.latency.With(labels).Observe(time.Since(start).Seconds())
}

func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "OTHER"
}

func (s *server) metricsHandler() gin.HandlerFunc {
	h := promhttp.HandlerFor(s.cfg.Registry, promhttp.HandlerOpts{
		ErrorLog:      slogPrintln{s},
		ErrorHandling: promhttp.ContinueOnError,
	})
	return gin.WrapH(h)
}

// slogPrintln hands promhttp's errors to the logger.
type slogPrintln struct{ s *server }

func (l slogPrintln) Println(v ...any) { l.s.log.Error("serving metrics", "error", v) }
