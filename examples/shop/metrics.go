package main

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics holds the service's Prometheus collectors, on a registry of its own.
type Metrics struct {
	registry  *prometheus.Registry
	requests  *prometheus.CounterVec
	duration  *prometheus.HistogramVec
	dbRetries *prometheus.CounterVec
}

func NewMetrics() *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shop_http_requests_total",
			Help: "HTTP requests handled, by route and status code.",
		}, []string{"route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "shop_http_request_duration_seconds",
			Help:    "HTTP request latency, by route.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route"}),
		dbRetries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shop_db_retries_total",
			Help: "Database calls that needed retries, by outcome (recovered or gave_up).",
		}, []string{"result"}),
	}
	m.registry.MustRegister(
		m.requests, m.duration, m.dbRetries,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	// Export both outcomes from the start, so a scrape shows 0 rather than nothing.
	m.dbRetries.WithLabelValues("recovered")
	m.dbRetries.WithLabelValues("gave_up")
	return m
}

// RegisterBreaker exports a circuit breaker's state as a gauge
// (closed 0, half-open 1, open 2).
func (m *Metrics) RegisterBreaker(name string, state func() float64) {
	m.registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name:        "shop_cache_breaker_state",
		Help:        "Circuit breaker state: 0 closed, 1 half-open, 2 open.",
		ConstLabels: prometheus.Labels{"breaker": name},
	}, state))
}

// ObserveDBCall records the outcome of one database call (all its attempts).
// Calls that succeeded at the first attempt are not counted.
func (m *Metrics) ObserveDBCall(attempts int, err error) {
	if attempts <= 1 {
		return
	}
	if err == nil || errors.Is(err, pgx.ErrNoRows) {
		m.dbRetries.WithLabelValues("recovered").Inc()
		return
	}
	m.dbRetries.WithLabelValues("gave_up").Inc()
}

// Middleware counts and times every request by its route pattern.
func (m *Metrics) Middleware() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		route := c.FullPath()
		if route == "" {
			route = "unmatched"
		}
		m.requests.WithLabelValues(route, strconv.Itoa(c.Writer.Status())).Inc()
		m.duration.WithLabelValues(route).Observe(time.Since(start).Seconds())
	}
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry})
}
