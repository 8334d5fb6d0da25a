package harness

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/shakedown-dev/shakedown/record"
)

// scraper reads a Prometheus text endpoint (the SUT's /metrics, each replica's) on a fixed tick
// into a record. Its fields are resolved by NewPlan: none has a default here.
type scraper struct {
	// URL of the metrics endpoint.
	URL string
	// Replicas are the endpoints of the SUT's replicas, when it has more than one: each tick
	// scrapes every one at once, into each replica's own series and the series across them (a
	// breaker's state the worst replica's, other series summed; see seriesStore). Empty: URL
	// alone.
	Replicas []endpoint
	// Tick between scrapes.
	Tick time.Duration
	// Header is sent with every scrape (an Authorization the endpoint wants).
	Header http.Header
	// Keep selects the metric families to keep: a family whose name starts with one of them (a
	// full name or a prefix). Empty: every family.
	Keep []string
	// Client makes the requests. nil: a client with a timeout of Tick.
	Client *http.Client
	// Breakers are the breaker series whose changes of state become events.
	Breakers []record.BreakerMapping
}

// endpoint is one replica's metrics endpoint.
type endpoint struct {
	// Instance names the replica in the record: its host:port, as Prometheus's instance label.
	Instance string
	URL      string
}

// scrapeSource is the scrape metrics source: a scraper of each of the SUT's replicas at path,
// from the start of the run's phases to the end of its load.
type scrapeSource struct {
	scraper // URL and Replicas are set by start, from the SUT's bases
	path    string
	cancel  context.CancelFunc
	done    chan struct{}
}

var _ metricsSource = (*scrapeSource)(nil)

func (s *scrapeSource) start(ctx context.Context, rec *record.Recorder, bases []string) error {
	sc := s.scraper
	sc.URL = bases[0] + s.path
	if len(bases) > 1 {
		for _, b := range bases {
			sc.Replicas = append(sc.Replicas, endpoint{Instance: instanceOf(b), URL: b + s.path})
		}
	}
	ctx, s.cancel = context.WithCancel(ctx)
	s.done = make(chan struct{})
	go func() {
		defer close(s.done)
		sc.run(ctx, rec)
	}()
	return nil
}

func (s *scrapeSource) finish(context.Context, *record.Recorder, time.Time, time.Time) error {
	s.cancel()
	<-s.done
	return nil
}

// instanceOf returns the host:port of a base URL, the instance label of the replica it serves.
func instanceOf(base string) string {
	if u, err := url.Parse(base); err == nil && u.Host != "" {
		return u.Host
	}
	return base
}

// run scrapes until ctx ends. Every scrape is counted in the record's Scrape (failures with the
// last error); a scrape of an endpoint that fails after one that worked, and the first to work
// again, are events of kind "scrape"; the next tick tries again. Breaker state changes seen
// between scrapes become "breaker" events.
func (s scraper) run(ctx context.Context, rec *record.Recorder) {
	client := s.Client
	if client == nil {
		client = &http.Client{Timeout: s.Tick}
	}
	eps := s.Replicas
	if len(eps) == 0 {
		eps = []endpoint{{Instance: instanceOf(s.URL), URL: s.URL}}
	}
	store := newSeriesStore(s.Breakers, len(eps) > 1)
	st := record.ScrapeStats{Source: record.SourceScrape, URL: eps[0].URL}
	if len(eps) > 1 {
		for _, ep := range eps {
			st.Instances = append(st.Instances, ep.Instance)
		}
	}
	rec.StartScrapes(st)
	t := time.NewTicker(s.Tick)
	defer t.Stop()
	failing := make([]bool, len(eps))
	fams := make([]map[string]*dto.MetricFamily, len(eps))
	errs := make([]error, len(eps))
	for {
		at := rec.Now()
		var wg sync.WaitGroup
		for i := range eps {
			wg.Go(func() { fams[i], errs[i] = s.scrape(ctx, client, eps[i].URL) })
		}
		wg.Wait()
		if ctx.Err() != nil && slices.ContainsFunc(errs, func(err error) bool { return err != nil }) {
			return
		}
		rec.CountScrapes(errs...)
		byInstance := map[string][]sample{}
		for i, err := range errs {
			switch {
			case err != nil && !failing[i]:
				rec.AddEvent(record.Event{At: at, Kind: record.EventScrape, Subject: eps[i].URL, Value: "failed", Detail: err.Error()})
			case err == nil && failing[i]:
				rec.AddEvent(record.Event{At: at, Kind: record.EventScrape, Subject: eps[i].URL, Value: "recovered"})
			}
			failing[i] = err != nil
			if err == nil {
				byInstance[eps[i].Instance] = s.samples(fams[i])
			}
		}
		if len(byInstance) > 0 {
			store.put(rec, at, byInstance)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s scraper) scrape(ctx context.Context, client *http.Client, endpoint string) (map[string]*dto.MetricFamily, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint, nil)
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
		return nil, fmt.Errorf("GET %s: %s", endpoint, resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	return p.TextToMetricFamilies(resp.Body)
}

func (s scraper) keep(name string) bool {
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

// samples returns one sample per kept series: counters, gauges and untyped values, histograms
// and summaries as their _count and _sum.
func (s scraper) samples(fams map[string]*dto.MetricFamily) []sample {
	var out []sample
	for name, f := range fams {
		if !s.keep(name) {
			continue
		}
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			add := func(name string, v float64) { out = append(out, sample{name: name, labels: labels, value: v}) }
			switch {
			case m.Counter != nil:
				add(name, m.Counter.GetValue())
			case m.Gauge != nil:
				add(name, m.Gauge.GetValue())
			case m.Untyped != nil:
				add(name, m.Untyped.GetValue())
			case m.Histogram != nil:
				add(name+"_count", float64(m.Histogram.GetSampleCount()))
				add(name+"_sum", m.Histogram.GetSampleSum())
			case m.Summary != nil:
				add(name+"_count", float64(m.Summary.GetSampleCount()))
				add(name+"_sum", m.Summary.GetSampleSum())
			}
		}
	}
	return out
}
