package harness

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/shakedown-dev/shakedown/assertions"
	"github.com/shakedown-dev/shakedown/record"
	"github.com/shakedown-dev/shakedown/resilience/circuitbreaker"
	"github.com/shakedown-dev/shakedown/resilience/prom"
	"github.com/shakedown-dev/shakedown/scenarios"
	"github.com/shakedown-dev/shakedown/units"
)

// TestScraperRecordsSeriesAndBreakerEvents scrapes the resilience core's real metrics while a
// breaker opens, and finds the series and the transition in the record.
func TestScraperRecordsSeriesAndBreakerEvents(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	m, _ := prom.New(reg)
	b, _ := circuitbreaker.New(circuitbreaker.Config{Name: "ollama", ConsecutiveFailures: 1, Observer: m.Breaker()})
	m.WatchBreaker(b)
	// Each scrape served says which breaker state it carried. The scraper stores a scrape before
	// it asks for the next, so once the next is served the one before is in the record.
	scraped := make(chan circuitbreaker.State, 1000)
	metrics := promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := b.State()
		metrics.ServeHTTP(w, r)
		scraped <- st
	}))
	defer srv.Close()
	waitStored := func(want circuitbreaker.State) {
		for st := range scraped {
			if st == want {
				break
			}
		}
		<-scraped
	}

	rec := record.NewRecorder(time.Now(), record.ScenarioInfo{}, 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		// A generous client timeout: with the default (one tick, 20ms here) a loaded machine can
		// time a scrape out on the client while the handler still counts it as served.
		scraper{URL: srv.URL, Tick: 20 * time.Millisecond, Keep: []string{"resilience_"}, Breakers: record.WithCoreBreakers(nil), Client: &http.Client{Timeout: 10 * time.Second}}.run(ctx, rec)
		close(done)
	}()
	waitStored(circuitbreaker.StateClosed)
	p, _ := b.Allow()
	p.Done(context.DeadlineExceeded) // opens it
	waitStored(circuitbreaker.StateOpen)
	cancel()
	<-done
	r := rec.Finish(record.StatusCompleted, nil)
	states := r.FindSeries("resilience_circuit_breaker_state", map[string]string{"name": "ollama"})
	if len(states) != 1 || states[0].Points[0].Value != 0 || states[0].Points[len(states[0].Points)-1].Value != 1 {
		t.Fatalf("state series %+v; want 0 then 1", states)
	}
	var seen []string
	for _, e := range r.Events {
		if e.Kind == "breaker" {
			seen = append(seen, e.Value)
		}
	}
	if len(seen) != 2 || seen[0] != "closed" || seen[1] != "open" {
		t.Errorf("breaker events %v; want [closed open]", seen)
	}
	for _, s := range r.Series {
		if s.Name == "go_goroutines" {
			t.Error("Keep did not filter go_goroutines out")
		}
	}
}

func TestScraperRecordsFailures(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		rec := record.NewRecorder(time.Now(), record.ScenarioInfo{}, 1)
		ctx, cancel := context.WithTimeout(context.Background(), 2500*time.Millisecond)
		defer cancel()
		// No server: every scrape fails fast (an invalid port), once per tick: at 0s, 1s and 2s.
		scraper{URL: "http://127.0.0.1:0/metrics", Tick: time.Second}.run(ctx, rec)
		r := rec.Finish(record.StatusCompleted, nil)
		if len(r.Events) != 1 || r.Events[0].Kind != record.EventScrape || r.Events[0].Value != "failed" {
			t.Errorf("events %+v; want one: the scrapes started failing", r.Events)
		}
		if st := r.Scrape; st == nil || st.Attempts != 3 || st.Failed != 3 || !st.Failing || st.LastError == "" {
			t.Errorf("scrape stats %+v; want 3 attempts, 3 failed, failing, with the error", st)
		}
	})
}

// TestScraperSendsHeadersAndCountsRefusals: the scrape carries the configured headers; an
// endpoint that refuses (401) is counted as failing, its status in the record, and the first
// scrape that works again is an event.
func TestScraperSendsHeadersAndCountsRefusals(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	fourth := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		if n == 4 {
			defer close(fourth)
		}
		if n <= 2 || r.Header.Get("Authorization") != "Bearer t" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		fmt.Fprintln(w, "myapp_breaker_open{name=\"db\"} 1")
	}))
	defer srv.Close()
	rec := record.NewRecorder(time.Now(), record.ScenarioInfo{}, 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		scraper{URL: srv.URL, Tick: 10 * time.Millisecond, Header: http.Header{"Authorization": {"Bearer t"}}, Keep: []string{"myapp_breaker_open"}, Breakers: record.WithCoreBreakers(nil)}.run(ctx, rec)
		close(done)
	}()
	<-fourth // two refused scrapes, then two that worked
	cancel()
	<-done
	r := rec.Finish(record.StatusCompleted, nil)
	if st := r.Scrape; st == nil || st.Failed != 2 || st.Failing || !strings.Contains(st.LastError, "401 Unauthorized") {
		t.Errorf("scrape stats %+v; want 2 failed with 401 Unauthorized, then working", st)
	}
	if len(r.Events) != 2 || r.Events[0].Value != "failed" || r.Events[1].Value != "recovered" {
		t.Errorf("events %+v; want failed, then recovered", r.Events)
	}
	if len(r.FindSeries("myapp_breaker_open", map[string]string{"name": "db"})) != 1 {
		t.Errorf("series %v; want myapp_breaker_open{name=db} kept", r.Series)
	}
}

// TestRunScrapesTheConfiguredEndpoint: a scenario's metrics path, headers and keep reach the
// scraper; a series a metric assertion names is kept without being listed; a breaker verdict's
// mapping of another library's series (gobreaker's 2 is open) reads its state in the events, the
// progress line and the record.
func TestRunScrapesTheConfiguredEndpoint(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("-short: no servers")
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/health/ready" || r.URL.Path == "/":
		case r.URL.Path == "/internal/metrics" && r.Header.Get("X-Metrics-Key") == "k":
			fmt.Fprintln(w, "myapp_breaker_open{name=\"db\"} 0\ngobreaker_state{name=\"db\"} 0\nother_total 3\n# TYPE shop_breaker gauge\nshop_breaker{breaker=\"cache\"} 2")
		default:
			w.WriteHeader(http.StatusUnauthorized)
		}
	}))
	defer srv.Close()
	sc := readyScenario(scenarios.SUT{URL: srv.URL})
	sc.Metrics = scenarios.Metrics{Path: "/internal/metrics", Headers: map[string]string{"X-Metrics-Key": "k"}, Keep: []string{"myapp_"}}
	gobreaker := &assertions.BreakerSeries{Name: "shop_breaker", Label: "breaker", Open: []float64{2}, Closed: []float64{0}}
	sc.Assertions = []assertions.Spec{&assertions.Metric{Common: assertions.Common{Name: "m", Type: "metric"}, Metric: "gobreaker_state", Op: assertions.OpAtEnd},
		&assertions.Breaker{Common: assertions.Common{Name: "b", Type: "breaker"}, Breaker: "cache", NeverOpens: true, Series: gobreaker}}
	sc.Phases.Fault = units.Duration(2 * time.Second)
	var mu sync.Mutex
	var progress []string
	rec, err := run(context.Background(), sc, RunOptions{StateDir: t.TempDir(), ScrapeTick: 200 * time.Millisecond},
		ObserverFuncs{Progress: func(p Progress) { mu.Lock(); progress = append(progress, p.String()); mu.Unlock() }})
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(progress) == 0 || !strings.Contains(progress[len(progress)-1], "breakers: cache=open") {
		t.Errorf("progress lines %q; want the mapped breaker cache open", progress)
	}
	if !slices.ContainsFunc(rec.Events, func(e record.Event) bool {
		return e.Kind == record.EventBreaker && e.Subject == "cache" && e.Value == "open"
	}) {
		t.Errorf("events %+v; want cache's breaker open", rec.Events)
	}
	if len(rec.Breakers) != 1 || rec.Breakers[0].Series != "shop_breaker" {
		t.Errorf("the record's breaker mappings %+v; want shop_breaker's", rec.Breakers)
	}
	if st := rec.Scrape; st == nil || st.Attempts == 0 || st.Failed != 0 || !strings.HasSuffix(st.URL, "/internal/metrics") {
		t.Errorf("scrape stats %+v; want every scrape of /internal/metrics answered", st)
	}
	for name, want := range map[string]int{"myapp_breaker_open": 1, "gobreaker_state": 1, "shop_breaker": 1, "other_total": 0} {
		if got := len(rec.FindSeries(name, nil)); got != want {
			t.Errorf("%s: %d series kept; want %d", name, got, want)
		}
	}
}

// TestProgressLine: the line's shares are the last second's (a healthy second after a bad minute
// reads 0%), the run's total is its request count, and failing scrapes show.
func TestProgressLine(t *testing.T) {
	t.Parallel()
	p := Progress{Phase: "recovery", Elapsed: 42 * time.Second, Total: time.Minute,
		All:      record.Counts{Requests: 1000, Failed: 200},
		Last:     record.Second{Counts: record.Counts{Requests: 20, Failed: 1, Degraded: 2}, P95: record.Duration(212 * time.Millisecond)},
		Breakers: map[string]record.BreakerState{"db": record.BreakerOpen, "cache": record.BreakerClosed}, ScrapeError: "GET http://x/metrics: 401 Unauthorized"}
	want := "recovery 42s/1m0s  1000 req  last second: 20 req/s  failed 5.0%  degraded 10.0%  p95 212ms  breakers: db=open  metrics: GET http://x/metrics: 401 Unauthorized"
	if got := p.String(); got != want {
		t.Errorf("Progress.String() =\n  %q\nwant\n  %q", got, want)
	}
}
