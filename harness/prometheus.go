package harness

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/shakedown-dev/shakedown/record"
)

// promSource reads the SUT's series from a Prometheus server that scrapes it (every replica of
// it), through its HTTP API and the official client: once the load has ended, it waits until the
// server holds a sample at or after the end from every replica, then asks /api/v1/query_range
// for the kept families over the run's window at Step. The samples go into the record through
// the same store as the scraper's: each replica's series with an instance label, and the series
// across them that the verdicts read. The harness runs nothing for it: the server scrapes.
type promSource struct {
	// URL is the server's base URL (http://127.0.0.1:9090).
	URL string
	// Selector picks the SUT's series: matchers of its targets' labels in braces
	// ({job="shop"}), without __name__ (the kept families' names are added). The waits read
	// the targets' up series, so the labels must be the targets' own.
	Selector string
	// Step is the range query's resolution.
	Step time.Duration
	// Wait bounds each wait for the server: for its first samples of the SUT (ready), and after
	// the load for a sample at or after its end from every replica (collect).
	Wait time.Duration
	// ReplicaLabels tell the replicas apart; their values, joined by "/", name each replica in
	// the record. They and job are not among the labels of the series across replicas.
	ReplicaLabels []string
	// Header is sent with every API request.
	Header http.Header
	// Keep selects the families to read, as scraper.Keep: names or prefixes. Empty: every one.
	Keep []string
	// Breakers are the breaker series read as states across replicas and whose changes become
	// events.
	Breakers []record.BreakerMapping
	// Client makes the requests. nil: a transport of its own, whose idle connections are closed
	// after each wait and query; each request is bounded by its context.
	Client *http.Client

	started bool // the record's Scrape says where the series come from (one goroutine asks at a time)
}

var _ metricsSource = (*promSource)(nil)

// start waits until the server has scraped every replica of the SUT (bases) at least once.
func (p *promSource) start(ctx context.Context, rec *record.Recorder, bases []string) error {
	return p.ready(ctx, rec, len(bases))
}

// finish reads the run's window from the server.
func (p *promSource) finish(ctx context.Context, rec *record.Recorder, from, to time.Time) error {
	return p.collect(ctx, rec, from, to)
}

// maxSteps is how many steps one range query asks for: Prometheus refuses more than 11,000
// points per series, so a long run is read in parts.
const maxSteps = 10_000

// selector returns the scenario's selector with a __name__ matcher.
func (p *promSource) selector(name string) string {
	inner := strings.TrimSpace(p.Selector)
	inner = strings.TrimSuffix(strings.TrimPrefix(inner, "{"), "}")
	inner = strings.TrimSuffix(strings.TrimSpace(inner), ",")
	if inner != "" {
		inner += ", "
	}
	return "{" + inner + name + "}"
}

// rangeQuery is the query collect asks over the run's window: the selector's series of the
// kept families (every family when Keep is empty).
func (p *promSource) rangeQuery() string {
	names := ".+"
	if len(p.Keep) > 0 {
		qs := make([]string, len(p.Keep))
		for i, k := range p.Keep {
			qs[i] = regexp.QuoteMeta(k)
		}
		names = "(?:" + strings.Join(qs, "|") + ").*"
	}
	return p.selector("__name__=~" + strconv.Quote(names))
}

// lastQuery asks for the time of each replica's newest scrape: the timestamp of its up series,
// which Prometheus writes at every scrape, one that fails included. (timestamp() of every series
// at once is refused: without their names they collide.)
func (p *promSource) lastQuery() string {
	return fmt.Sprintf("max by (%s) (timestamp(%s))", strings.Join(p.ReplicaLabels, ", "), p.selector(`__name__="up"`))
}

// headerTripper adds the configured headers to every request.
type headerTripper struct {
	header http.Header
	next   http.RoundTripper
}

func (t headerTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	if len(t.header) > 0 {
		req = req.Clone(req.Context())
		for k, vs := range t.header {
			req.Header[k] = vs
		}
	}
	return t.next.RoundTrip(req)
}

// api returns a client of the server's API and the function that closes its idle connections
// (a connection left open would outlive the run).
func (p *promSource) api() (v1.API, func(), error) {
	cfg := api.Config{Address: p.URL}
	done := func() {}
	if p.Client != nil {
		c := *p.Client
		next := c.Transport
		if next == nil {
			next = http.DefaultTransport
		}
		c.Transport = headerTripper{p.Header, next}
		cfg.Client = &c
	} else {
		tr := &http.Transport{Proxy: http.ProxyFromEnvironment, DialContext: (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
			MaxIdleConns: 4, IdleConnTimeout: 30 * time.Second, TLSHandshakeTimeout: 10 * time.Second}
		cfg.RoundTripper = headerTripper{p.Header, tr}
		done = tr.CloseIdleConnections
	}
	c, err := api.NewClient(cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("prometheus %s: %w", p.URL, err)
	}
	return v1.NewAPI(c), done, nil
}

// count counts one API request in the record's Scrape.
func (p *promSource) count(rec *record.Recorder, err error) {
	if !p.started {
		rec.StartScrapes(record.ScrapeStats{Source: record.SourcePrometheus, URL: p.URL, Query: p.rangeQuery()})
		p.started = true
	}
	rec.CountScrapes(err)
}

// instance names the replica a series comes from: its replica labels' values, joined by "/".
func (p *promSource) instance(m model.Metric) string {
	var parts []string
	for _, l := range p.ReplicaLabels {
		if v := m[model.LabelName(l)]; v != "" {
			parts = append(parts, string(v))
		}
	}
	return strings.Join(parts, "/")
}

// readyQuery asks whether each replica's last scrape worked: its up series.
func (p *promSource) readyQuery() string {
	return fmt.Sprintf("max by (%s) (%s)", strings.Join(p.ReplicaLabels, ", "), p.selector(`__name__="up"`))
}

// instant asks query now and returns its answer's value by replica.
func (p *promSource) instant(ctx context.Context, c v1.API, rec *record.Recorder, query string) (map[string]float64, error) {
	v, _, _, err := c.Query(ctx, query, time.Now())
	if err == nil {
		if _, ok := v.(model.Vector); !ok {
			err = fmt.Errorf("query %s: want a vector, got a %s", query, v.Type())
		}
	}
	if ctx.Err() == nil {
		p.count(rec, err)
	}
	if err != nil {
		return nil, err
	}
	out := map[string]float64{}
	for _, s := range v.(model.Vector) {
		out[p.instance(s.Metric)] = float64(s.Value)
	}
	return out, nil
}

// refused reports whether the server refused a query as bad data (a selector it cannot parse):
// asking again cannot help.
func refused(err error) bool {
	apiErr, ok := errors.AsType[*v1.Error](err)
	return ok && apiErr.Type == v1.ErrBadData
}

// pollEvery is how often a wait asks the server again.
const pollEvery = 200 * time.Millisecond

// waitFor asks query until done says its answer will do, for at most Wait, and returns the last
// answer; an answer Prometheus refuses as bad data ends it at once.
func (p *promSource) waitFor(ctx context.Context, rec *record.Recorder, query string, done func(map[string]float64) bool) (map[string]float64, error) {
	c, closeIdle, err := p.api()
	if err != nil {
		return nil, err
	}
	defer closeIdle()
	wctx, cancel := context.WithTimeout(ctx, p.Wait)
	defer cancel()
	t := time.NewTicker(pollEvery)
	defer t.Stop()
	var last map[string]float64
	var lastErr error
	for {
		got, err := p.instant(wctx, c, rec, query)
		if refused(err) {
			return nil, fmt.Errorf("prometheus %s refused %s: %w", p.URL, query, err)
		}
		if err == nil {
			last, lastErr = got, nil
			if done(got) {
				return got, nil
			}
		} else if wctx.Err() == nil {
			lastErr = err
		}
		select {
		case <-wctx.Done():
			if ctx.Err() != nil {
				return last, ctx.Err()
			}
			if lastErr != nil {
				return last, fmt.Errorf("no answer within %s: %w", p.Wait, lastErr)
			}
			return last, fmt.Errorf("not within %s", p.Wait)
		case <-t.C:
		}
	}
}

// ready waits until the server's last scrape of at least want replicas (one when want is 0)
// worked, for at most Wait: before the load, so that a wrong URL or selector stops the run
// before it begins, with the server's targets in the error.
func (p *promSource) ready(ctx context.Context, rec *record.Recorder, want int) error {
	want = max(want, 1)
	got, err := p.waitFor(ctx, rec, p.readyQuery(), func(m map[string]float64) bool {
		n := 0
		for _, up := range m {
			if up == 1 {
				n++
			}
		}
		return n >= want
	})
	if err == nil || ctx.Err() != nil {
		return err
	}
	if refused(err) {
		return fmt.Errorf("metrics: %w", err)
	}
	seen := "no target"
	if len(got) > 0 {
		var parts []string
		for _, in := range slices.Sorted(maps.Keys(got)) {
			state := "up"
			if got[in] != 1 {
				state = "down"
			}
			parts = append(parts, fmt.Sprintf("%s %s", replicaName(in), state))
		}
		seen = strings.Join(parts, ", ")
	}
	return fmt.Errorf("metrics: prometheus %s: fewer than %d replica(s) up in %s: %v; it has %s (the selector's labels must be the targets' own: job, instance, and those relabelling gives them); its targets: %s",
		p.URL, want, p.readyQuery(), err, seen, p.targets(ctx))
}

// replicaName is a replica's name for an error.
func replicaName(in string) string {
	if in == "" {
		return "(no replica label)"
	}
	return in
}

// collect reads the run's window [from, to] into rec once the server has scraped every replica
// it scrapes at or after to, waiting for that at most Wait.
func (p *promSource) collect(ctx context.Context, rec *record.Recorder, from, to time.Time) error {
	end := float64(to.UnixMilli()) / 1000
	got, err := p.waitFor(ctx, rec, p.lastQuery(), func(m map[string]float64) bool {
		for _, at := range m {
			if at < end {
				return false
			}
		}
		return len(m) > 0
	})
	if refused(err) {
		return fmt.Errorf("metrics: %w", err)
	}
	if err != nil {
		return fmt.Errorf("metrics: prometheus %s: no scrape of every replica at or after the load's end (%s): %v: %s; is it still scraping them? its targets: %s",
			p.URL, to.UTC().Format("15:04:05.000"), err, describeLast(got, to.Truncate(time.Millisecond)), p.targets(ctx))
	}
	c, closeIdle, err := p.api()
	if err != nil {
		return err
	}
	defer closeIdle()
	step := p.Step
	var matrix model.Matrix
	for start := from; !start.After(to); {
		end := start.Add(maxSteps * step)
		if end.After(to) {
			end = to
		}
		v, _, _, err := c.QueryRange(ctx, p.rangeQuery(), v1.Range{Start: start, End: end, Step: step})
		if err == nil && v.Type() != model.ValMatrix {
			err = fmt.Errorf("want a matrix, got a %s", v.Type())
		}
		p.count(rec, err)
		if err != nil {
			return fmt.Errorf("metrics: prometheus %s: query_range %s from %s to %s: %w", p.URL, p.rangeQuery(), start.UTC().Format(time.RFC3339), end.UTC().Format(time.RFC3339), err)
		}
		matrix = append(matrix, v.(model.Matrix)...)
		start = end.Add(step)
	}
	p.store(rec, matrix)
	return nil
}

// store puts the range query's samples into rec, instant by instant, across the replicas seen.
// A histogram's buckets and a summary's quantiles are left out, as the scraper leaves them out:
// their _count and _sum are kept.
func (p *promSource) store(rec *record.Recorder, matrix model.Matrix) {
	names := map[string]bool{}
	for _, ss := range matrix {
		names[string(ss.Metric[model.MetricNameLabel])] = true
	}
	drop := map[string]bool{"job": true, string(model.MetricNameLabel): true}
	for _, l := range p.ReplicaLabels {
		drop[l] = true
	}
	byTime := map[model.Time]map[string][]sample{}
	instances := map[string]bool{}
	for _, ss := range matrix {
		name := string(ss.Metric[model.MetricNameLabel])
		_, le := ss.Metric["le"]
		_, q := ss.Metric["quantile"]
		if le && strings.HasSuffix(name, "_bucket") || q && names[name+"_count"] {
			continue
		}
		labels := map[string]string{}
		for k, v := range ss.Metric {
			if !drop[string(k)] {
				labels[string(k)] = string(v)
			}
		}
		in := p.instance(ss.Metric)
		instances[in] = true
		for _, sp := range ss.Values {
			if byTime[sp.Timestamp] == nil {
				byTime[sp.Timestamp] = map[string][]sample{}
			}
			byTime[sp.Timestamp][in] = append(byTime[sp.Timestamp][in], sample{name: name, labels: labels, value: float64(sp.Value)})
		}
	}
	if ins := slices.Sorted(maps.Keys(instances)); len(ins) > 1 {
		rec.SetScrapeInstances(ins)
	}
	st := newSeriesStore(p.Breakers, len(instances) > 1)
	for _, t := range slices.Sorted(maps.Keys(byTime)) {
		st.put(rec, rec.Since(t.Time()), byTime[t])
	}
}

// describeLast says when each replica was last scraped, against end.
func describeLast(last map[string]float64, end time.Time) string {
	if len(last) == 0 {
		return "no replica was scraped"
	}
	var parts []string
	for _, in := range slices.Sorted(maps.Keys(last)) {
		at := time.UnixMilli(int64(last[in] * 1000))
		if at.Before(end) {
			parts = append(parts, fmt.Sprintf("%s last scraped %s before the end", replicaName(in), end.Sub(at).Round(time.Millisecond)))
		} else {
			parts = append(parts, fmt.Sprintf("%s scraped %s after the end", replicaName(in), at.Sub(end).Round(time.Millisecond)))
		}
	}
	return strings.Join(parts, ", ")
}

// targets lists the server's active targets for an error: their job, instance, health and last
// error, the first 10.
func (p *promSource) targets(ctx context.Context) string {
	c, closeIdle, err := p.api()
	if err != nil {
		return err.Error()
	}
	defer closeIdle()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	ts, err := c.Targets(ctx)
	if err != nil {
		return fmt.Sprintf("(cannot list them: %v)", err)
	}
	if len(ts.Active) == 0 {
		return "none"
	}
	var parts []string
	for i, t := range ts.Active {
		if i == 10 {
			parts = append(parts, fmt.Sprintf("and %d more", len(ts.Active)-10))
			break
		}
		s := fmt.Sprintf("{job=%q, instance=%q} %s", t.Labels["job"], t.Labels["instance"], t.Health)
		if t.LastError != "" {
			s += " (" + t.LastError + ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}
