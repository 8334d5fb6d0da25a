package httpfault

import "github.com/prometheus/client_golang/prometheus"

// metrics counts decisions. It is a prometheus.Collector the caller registers (Collector).
type metrics struct {
	decisions *prometheus.CounterVec
}

func newMetrics() *metrics {
	return &metrics{decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "httpfault_decisions_total",
		Help: "Per-request fault decisions, by fault, kind and whether the fault was injected.",
	}, []string{"fault", "kind", "injected"})}
}

func (m *metrics) count(d Decision) {
	inj := "false"
	if d.Injected {
		inj = "true"
	}
	m.decisions.WithLabelValues(d.Fault, string(d.Kind), inj).Inc()
}

// Collector returns the injector's metrics (httpfault_decisions_total{fault,kind,injected}) for
// the caller to register; nothing is registered globally.
func (in *Injector) Collector() prometheus.Collector { return in.metrics.decisions }
