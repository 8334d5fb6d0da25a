package prom

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/shakedown-dev/shakedown/resilience/bulkhead"
	"github.com/shakedown-dev/shakedown/resilience/circuitbreaker"
	"github.com/shakedown-dev/shakedown/resilience/hedge"
	"github.com/shakedown-dev/shakedown/resilience/ratelimit"
	"github.com/shakedown-dev/shakedown/resilience/retry"
)

// Metrics holds the collectors. Its methods return observers to put in the policies' configs;
// Watch* registers a breaker or bulkhead whose gauges are read when Prometheus scrapes.
type Metrics struct {
	calls       *prometheus.CounterVec
	transitions *prometheus.CounterVec
	retryCalls  *prometheus.CounterVec
	retries     *prometheus.CounterVec
	rejected    *prometheus.CounterVec
	timeouts    *prometheus.CounterVec
	fallbacks   *prometheus.CounterVec
	limited     *prometheus.CounterVec
	hedges      *prometheus.CounterVec
	hedgeCalls  *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	gauges      *gauges
}

// New creates the collectors and registers them on reg.
func New(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "resilience_circuit_breaker_calls_total",
			Help: "Calls through a circuit breaker, by outcome (success, failure, ignored, rejected)."}, []string{"name", "outcome"}),
		transitions: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "resilience_circuit_breaker_transitions_total",
			Help: "Circuit breaker state changes."}, []string{"name", "from", "to"}),
		retryCalls: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "resilience_retry_calls_total",
			Help: "Calls through a retry policy, by how they ended."}, []string{"name", "outcome"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "resilience_retry_attempts_total",
			Help: "Retries made (attempts after the first)."}, []string{"name"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "resilience_bulkhead_rejected_total",
			Help: "Calls a bulkhead refused, by reason (full, queue_timeout, cancelled)."}, []string{"name", "reason"}),
		timeouts: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "resilience_timeouts_total",
			Help: "Calls cut off by a timeout policy."}, []string{"name"}),
		fallbacks: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "resilience_fallbacks_total",
			Help: "Degraded answers served by a fallback."}, []string{"name"}),
		limited: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "resilience_rate_limiter_calls_total",
			Help: "Calls a rate limiter decided, by outcome (allowed, refused)."}, []string{"name", "outcome"}),
		hedges: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "resilience_hedges_total",
			Help: "Hedged attempts sent (attempts after the first)."}, []string{"name"}),
		hedgeCalls: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "resilience_hedge_calls_total",
			Help: "Calls through a hedging policy, by whose answer was taken (first, hedge, failed)."}, []string{"name", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "resilience_call_duration_seconds",
			Help: "Duration of calls through a circuit breaker, by outcome.", Buckets: prometheus.ExponentialBuckets(0.001, 2.5, 12)}, []string{"name", "outcome"}),
		gauges: &gauges{},
	}
	for _, c := range []prometheus.Collector{m.calls, m.transitions, m.retryCalls, m.retries, m.rejected, m.timeouts, m.fallbacks, m.limited, m.hedges, m.hedgeCalls, m.duration, m.gauges} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// WatchBreaker exports b's state as resilience_circuit_breaker_state, read at scrape time.
func (m *Metrics) WatchBreaker(b *circuitbreaker.Breaker) { m.gauges.addBreaker(b) }

// WatchBulkhead exports b's in-flight and queued counts, read at scrape time.
func (m *Metrics) WatchBulkhead(b *bulkhead.Bulkhead) { m.gauges.addBulkhead(b) }

// Breaker returns an observer for circuitbreaker.Config.Observer.
func (m *Metrics) Breaker() circuitbreaker.Observer { return breakerObserver{m} }

// Retry returns an observer for retry.Config.Observer.
func (m *Metrics) Retry() retry.Observer { return retryObserver{m} }

// Bulkhead returns an observer for bulkhead.Config.Observer.
func (m *Metrics) Bulkhead() bulkhead.Observer { return bulkheadObserver{m} }

// Timeout returns an observer for timeout.Config.Observer.
func (m *Metrics) Timeout() TimeoutObserver { return TimeoutObserver{m} }

// Fallback returns an observer for fallback.Config.Observer.
func (m *Metrics) Fallback() FallbackObserver { return FallbackObserver{m} }

// RateLimiter returns an observer for ratelimit.Config.Observer.
func (m *Metrics) RateLimiter() ratelimit.Observer { return rateLimitObserver{m} }

// Hedge returns an observer for hedge.Config.Observer.
func (m *Metrics) Hedge() hedge.Observer { return hedgeObserver{m} }

type hedgeObserver struct{ m *Metrics }

func (o hedgeObserver) OnHedge(name string, _ int, _ time.Duration) {
	o.m.hedges.WithLabelValues(name).Inc()
}

func (o hedgeObserver) OnDone(name string, won, _ int) {
	outcome := "hedge"
	switch won {
	case 0:
		outcome = "failed"
	case 1:
		outcome = "first"
	}
	o.m.hedgeCalls.WithLabelValues(name, outcome).Inc()
}

type rateLimitObserver struct{ m *Metrics }

func (o rateLimitObserver) OnDecision(name string, allowed bool, _ time.Duration) {
	outcome := "refused"
	if allowed {
		outcome = "allowed"
	}
	o.m.limited.WithLabelValues(name, outcome).Inc()
}

type breakerObserver struct{ m *Metrics }

func (o breakerObserver) OnStateChange(t circuitbreaker.Transition) {
	o.m.transitions.WithLabelValues(t.Name, t.From.String(), t.To.String()).Inc()
}

func (o breakerObserver) OnCall(name string, out circuitbreaker.Outcome, d time.Duration) {
	o.m.calls.WithLabelValues(name, out.String()).Inc()
	if out != circuitbreaker.OutcomeRejected && d > 0 {
		o.m.duration.WithLabelValues(name, out.String()).Observe(d.Seconds())
	}
}

type retryObserver struct{ m *Metrics }

func (o retryObserver) OnRetry(name string, _ int, _ time.Duration, _ error) {
	o.m.retries.WithLabelValues(name).Inc()
}

func (o retryObserver) OnDone(name string, out retry.Outcome, _ int) {
	o.m.retryCalls.WithLabelValues(name, out.String()).Inc()
}

type bulkheadObserver struct{ m *Metrics }

func (o bulkheadObserver) OnReject(name string, r bulkhead.Reason) {
	o.m.rejected.WithLabelValues(name, string(r)).Inc()
}

// TimeoutObserver counts timeouts; it implements timeout.Observer.
type TimeoutObserver struct{ m *Metrics }

// OnTimeout implements timeout.Observer.
func (o TimeoutObserver) OnTimeout(name string, _ time.Duration) {
	o.m.timeouts.WithLabelValues(name).Inc()
}

// FallbackObserver counts fallbacks; it implements fallback.Observer.
type FallbackObserver struct{ m *Metrics }

// OnFallback implements fallback.Observer.
func (o FallbackObserver) OnFallback(name string, _ error) { o.m.fallbacks.WithLabelValues(name).Inc() }

// gauges reads breaker states and bulkhead counts at scrape time.
type gauges struct {
	mu        sync.Mutex
	breakers  []*circuitbreaker.Breaker
	bulkheads []*bulkhead.Bulkhead
}

var (
	stateDesc    = prometheus.NewDesc("resilience_circuit_breaker_state", "Circuit breaker state: 0 closed (or disabled), 1 open (or forced open), 2 half-open.", []string{"name"}, nil)
	inFlightDesc = prometheus.NewDesc("resilience_bulkhead_in_flight", "Calls holding a bulkhead slot.", []string{"name"}, nil)
	queuedDesc   = prometheus.NewDesc("resilience_bulkhead_queued", "Calls waiting for a bulkhead slot.", []string{"name"}, nil)
)

func (g *gauges) addBreaker(b *circuitbreaker.Breaker) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.breakers = append(g.breakers, b)
}

func (g *gauges) addBulkhead(b *bulkhead.Bulkhead) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.bulkheads = append(g.bulkheads, b)
}

// StateValue maps a breaker state to the gauge's value.
func StateValue(s circuitbreaker.State) float64 {
	switch s {
	case circuitbreaker.StateOpen, circuitbreaker.StateForcedOpen:
		return 1
	case circuitbreaker.StateHalfOpen:
		return 2
	}
	return 0
}

func (g *gauges) Describe(ch chan<- *prometheus.Desc) {
	ch <- stateDesc
	ch <- inFlightDesc
	ch <- queuedDesc
}

func (g *gauges) Collect(ch chan<- prometheus.Metric) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, b := range g.breakers {
		ch <- prometheus.MustNewConstMetric(stateDesc, prometheus.GaugeValue, StateValue(b.State()), b.Name())
	}
	for _, b := range g.bulkheads {
		ch <- prometheus.MustNewConstMetric(inFlightDesc, prometheus.GaugeValue, float64(b.InFlight()), b.Name())
		ch <- prometheus.MustNewConstMetric(queuedDesc, prometheus.GaugeValue, float64(b.Queued()), b.Name())
	}
}
