package httpfault

import "github.com/prometheus/client_golang/prometheus"

// The metric names, a contract with dashboards and the harness's scraper (which keeps httpfault_*).
const (
	// MetricDecisions counts per-request decisions: labels fault, kind, injected ("true"/"false").
	MetricDecisions = "httpfault_decisions_total"
	// MetricActive is the number of faults set.
	MetricActive = "httpfault_faults_active"
)

// metrics is the injector's Prometheus collector. Nothing is registered globally: the caller
// registers Collector on its own registry (wrap it with prometheus.WrapRegistererWith to tell
// several injectors apart).
type metrics struct {
	decisions *prometheus.CounterVec
	active    prometheus.GaugeFunc
}

func newMetrics(in *Injector) *metrics {
	return &metrics{
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: MetricDecisions,
			Help: "Per-request fault decisions, by fault, kind and whether the fault was injected.",
		}, []string{"fault", "kind", "injected"}),
		active: prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: MetricActive,
			Help: "Faults set on the injector.",
		}, func() float64 { return float64(in.decider.Len()) }),
	}
}

// touch creates both series of a fault that was just set, so that a rate over them starts at 0
// rather than being absent until the first injection.
func (m *metrics) touch(f Fault) {
	m.decisions.WithLabelValues(f.Name, string(f.Action.Kind), "true")
	m.decisions.WithLabelValues(f.Name, string(f.Action.Kind), "false")
}

func (m *metrics) count(d Decision) {
	inj := "false"
	if d.Injected {
		inj = "true"
	}
	m.decisions.WithLabelValues(d.Fault, string(d.Kind), inj).Inc()
}

// Describe implements prometheus.Collector.
func (m *metrics) Describe(ch chan<- *prometheus.Desc) {
	m.decisions.Describe(ch)
	m.active.Describe(ch)
}

// Collect implements prometheus.Collector.
func (m *metrics) Collect(ch chan<- prometheus.Metric) {
	m.decisions.Collect(ch)
	m.active.Collect(ch)
}

// Collector returns the injector's metrics, httpfault_decisions_total{fault,kind,injected} and
// httpfault_faults_active, for the caller to register on its own registry.
func (in *Injector) Collector() prometheus.Collector { return in.metrics }
