package harness

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/shakedown-dev/shakedown/record"
)

// Scraper reads a Prometheus text endpoint (the SUT's /metrics) on a fixed tick into a record.
type Scraper struct {
	// URL of the metrics endpoint.
	URL string
	// Tick between scrapes. 0: 1s.
	Tick time.Duration
	// Header is sent with every scrape (an Authorization the endpoint wants).
	Header http.Header
	// Keep selects the metric families to keep: a family whose name starts with one of them (a
	// full name or a prefix). Empty: every family.
	Keep []string
	// Client makes the requests. nil: a client with a timeout of Tick.
	Client *http.Client
	// Breakers are the breaker series whose changes of state become events. nil: the core's.
	Breakers []record.BreakerMapping
}

// Run scrapes until ctx ends. Every scrape is counted in the record's Scrape (failures with the
// last error); a scrape that fails after one that worked, and the first to work again, are events
// of kind "scrape"; the next tick tries again. Breaker state changes seen between scrapes become
// "breaker" events.
func (s Scraper) Run(ctx context.Context, rec *record.Recorder) {
	tick := s.Tick
	if tick <= 0 {
		tick = time.Second
	}
	client := s.Client
	if client == nil {
		client = &http.Client{Timeout: tick}
	}
	last := map[string]float64{}
	t := time.NewTicker(tick)
	defer t.Stop()
	failing := false
	for {
		at := rec.Now()
		fams, err := s.scrape(ctx, client)
		if err != nil && ctx.Err() != nil {
			return
		}
		rec.Update(func(r *record.Record) {
			if r.Scrape == nil {
				r.Scrape = &record.ScrapeStats{URL: s.URL}
			}
			r.Scrape.Attempts++
			r.Scrape.Failing = err != nil
			if err != nil {
				r.Scrape.Failed++
				r.Scrape.LastError = err.Error()
			}
		})
		switch {
		case err != nil && !failing:
			rec.AddEvent(record.Event{At: at, Kind: record.EventScrape, Subject: s.URL, Value: "failed", Detail: err.Error()})
		case err == nil && failing:
			rec.AddEvent(record.Event{At: at, Kind: record.EventScrape, Subject: s.URL, Value: "recovered"})
		}
		failing = err != nil
		if err == nil {
			s.store(rec, at, fams, last)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s Scraper) scrape(ctx context.Context, client *http.Client) (map[string]*dto.MetricFamily, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL, nil)
	if err != nil {
		return nil, err
	}
	for k, vs := range s.Header {
		req.Header[k] = vs
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, resp.Body)
		return nil, fmt.Errorf("GET %s: %s", s.URL, resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	return p.TextToMetricFamilies(resp.Body)
}

func (s Scraper) keep(name string) bool {
	if len(s.Keep) == 0 {
		return true
	}
	for _, k := range s.Keep {
		if strings.HasPrefix(name, k) {
			return true
		}
	}
	return false
}

// store adds one point per sample (counters, gauges and untyped values; histograms and summaries
// as their _count and _sum) and turns changes of a breaker's state into events.
func (s Scraper) store(rec *record.Recorder, at record.Duration, fams map[string]*dto.MetricFamily, last map[string]float64) {
	breakers := s.Breakers
	if breakers == nil {
		breakers = []record.BreakerMapping{record.CoreBreakers}
	}
	for name, f := range fams {
		if !s.keep(name) {
			continue
		}
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			switch {
			case m.Counter != nil:
				rec.AddSample(at, name, labels, m.Counter.GetValue())
			case m.Gauge != nil:
				rec.AddSample(at, name, labels, m.Gauge.GetValue())
			case m.Untyped != nil:
				rec.AddSample(at, name, labels, m.Untyped.GetValue())
			case m.Histogram != nil:
				rec.AddSample(at, name+"_count", labels, float64(m.Histogram.GetSampleCount()))
				rec.AddSample(at, name+"_sum", labels, m.Histogram.GetSampleSum())
			case m.Summary != nil:
				rec.AddSample(at, name+"_count", labels, float64(m.Summary.GetSampleCount()))
				rec.AddSample(at, name+"_sum", labels, m.Summary.GetSampleSum())
			}
			for _, b := range breakers {
				if name != b.Series || m.Gauge == nil {
					continue
				}
				breaker, v := labels[b.Label], m.Gauge.GetValue()
				key := name + "\x00" + breaker
				if prev, seen := last[key]; !seen || prev != v {
					rec.AddEvent(record.Event{At: at, Kind: record.EventBreaker, Subject: breaker, Value: b.State(v)})
					last[key] = v
				}
			}
		}
	}
}
