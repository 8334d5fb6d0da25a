package harness

import (
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/shakedown-dev/shakedown/assertions"
	"github.com/shakedown-dev/shakedown/record"
	"github.com/shakedown-dev/shakedown/scenarios"
)

// metricsSource collects the system under test's series over one run into its record. A run
// makes a fresh one from its plan (metricsPlan.source), starts it once the SUT is ready and
// finishes it once the load has ended; each source stores through a seriesStore, so a record has
// one shape whichever source filled it.
type metricsSource interface {
	// start begins collecting from the SUT at bases (its replicas' base URLs) before the warmup:
	// the scraper starts scraping, a Prometheus source waits until its server scrapes every
	// replica. An error stops the run before its load.
	start(ctx context.Context, rec *record.Recorder, bases []string) error
	// finish ends collecting once the load has ended: the run's window is [from, to]. It returns
	// once the record holds the run's series.
	finish(ctx context.Context, rec *record.Recorder, from, to time.Time) error
}

// noMetrics is the source of a service that exports none (metrics: none): nothing is collected
// and nothing is scraped; the record says so.
type noMetrics struct{}

var _ metricsSource = noMetrics{}

func (noMetrics) start(_ context.Context, rec *record.Recorder, _ []string) error {
	rec.StartScrapes(record.ScrapeStats{Source: record.SourceNone})
	return nil
}
func (noMetrics) finish(context.Context, *record.Recorder, time.Time, time.Time) error {
	return nil
}

// metricsPlan is where the SUT's metrics come from and which series are kept, resolved.
type metricsPlan struct {
	source string // scenarios.MetricsScrape, MetricsPrometheus or MetricsNone
	// keep are the families kept: the core's, the mock's, the scenario's and every series a
	// verdict reads.
	keep []string
	// breakers are the breaker series read as states: record.CoreBreakers first, then those the
	// scenario's breaker verdicts map (ownBreakers, which the record keeps).
	breakers, ownBreakers []record.BreakerMapping
	scrape                scraper    // the scrape source's settings (no URL: the run knows it)
	path                  string     // the scrape source's path on each replica
	prometheus            promSource // the prometheus source's settings
}

// resolveMetrics resolves the scenario's metrics source, with tick as the scraper's tick and the
// Prometheus range query's default step.
func resolveMetrics(sc *scenarios.Scenario, tick time.Duration) metricsPlan {
	m := metricsPlan{source: sc.Metrics.SourceName(), path: sc.Metrics.Path}
	if m.source == scenarios.MetricsNone {
		return m
	}
	m.keep = append([]string{"resilience_", "httpfault_"}, sc.Metrics.Keep...)
	for _, a := range sc.Assertions {
		if b, ok := a.(*assertions.Breaker); ok && b.Series != nil {
			m.ownBreakers = append(m.ownBreakers, b.Series.Mapping())
		}
		if r, ok := a.(assertions.SeriesReader); ok {
			for _, n := range r.ReadsSeries() {
				if n != "" && !slices.Contains(m.keep, n) {
					m.keep = append(m.keep, n)
				}
			}
		}
	}
	m.breakers = record.WithCoreBreakers(m.ownBreakers)
	if m.path == "" {
		m.path = "/metrics"
	}
	header := http.Header{}
	for k, v := range sc.Metrics.Headers {
		header.Set(k, v)
	}
	m.scrape = scraper{Tick: tick, Header: header, Keep: m.keep, Breakers: m.breakers}
	if pr := sc.Metrics.Prometheus; m.source == scenarios.MetricsPrometheus && pr != nil {
		m.prometheus = promSource{URL: pr.URL, Selector: pr.Selector, Step: pr.Step.D(), Wait: pr.Wait.D(), ReplicaLabels: pr.Labels(),
			Header: http.Header{}, Keep: m.keep, Breakers: m.breakers}
		if m.prometheus.Step <= 0 {
			m.prometheus.Step = tick
		}
		if m.prometheus.Wait <= 0 {
			m.prometheus.Wait = 30 * time.Second
		}
		for k, v := range pr.Headers {
			m.prometheus.Header.Set(k, v)
		}
	}
	return m
}

// newSource returns a fresh source for one run.
func (m *metricsPlan) newSource() metricsSource {
	switch m.source {
	case scenarios.MetricsNone:
		return noMetrics{}
	case scenarios.MetricsPrometheus:
		ps := m.prometheus
		return &ps
	}
	return &scrapeSource{scraper: m.scrape, path: m.path}
}
