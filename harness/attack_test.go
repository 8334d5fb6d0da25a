package harness

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/shakedown-dev/shakedown/record"
	"github.com/shakedown-dev/shakedown/scenarios"
	"github.com/shakedown-dev/shakedown/service"
	"github.com/shakedown-dev/shakedown/units"
)

func TestStepPacer(t *testing.T) {
	t.Parallel()
	p := stepPacer{Steps: []step{{vegeta.Rate{Freq: 10, Per: time.Second}, 2 * time.Second}, {vegeta.Rate{}, time.Second}, {vegeta.Rate{Freq: 100, Per: time.Second}, time.Second}}}
	for _, tt := range []struct {
		at       time.Duration
		hits     uint64
		wantWait time.Duration
		wantStop bool
		wantRate float64
	}{
		{0, 0, 100 * time.Millisecond, false, 10},
		{time.Second, 5, 0, false, 10}, // behind: 10 due
		{time.Second, 10, 100 * time.Millisecond, false, 10},
		{2500 * time.Millisecond, 20, 500 * time.Millisecond, false, 0}, // the pause step: wait for the next
		{3500 * time.Millisecond, 70, 10 * time.Millisecond, false, 100},
		{4 * time.Second, 120, 0, true, 0},
	} {
		wait, stop := p.Pace(tt.at, tt.hits)
		if math.Abs(float64(wait-tt.wantWait)) > float64(time.Microsecond) || stop != tt.wantStop || p.Rate(tt.at) != tt.wantRate {
			t.Errorf("Pace(%v, %d) = %v, %v (rate %v); want %v, %v (rate %v)", tt.at, tt.hits, wait, stop, p.Rate(tt.at), tt.wantWait, tt.wantStop, tt.wantRate)
		}
	}
	if got := p.hits(4 * time.Second); got != 120 {
		t.Errorf("hits(4s) = %v; want 120", got)
	}
}

// TestAttackRecordsResults: every response lands in the record with its outcome, including the
// degraded mark and timeouts.
func TestAttackRecordsResults(t *testing.T) {
	t.Parallel()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch n.Add(1) % 4 {
		case 0:
			w.WriteHeader(503)
		case 1:
			w.Header().Set("X-Degraded", "true")
		case 2:
			time.Sleep(300 * time.Millisecond) // past the client's timeout
		}
	}))
	defer srv.Close()
	rec := record.NewRecorder(time.Now(), record.ScenarioInfo{}, 1)
	err := attack(context.Background(), []target{{URL: srv.URL}}, vegeta.Rate{Freq: 200, Per: time.Second}, time.Second,
		loadOptions{Timeout: 100 * time.Millisecond}, rec)
	if err != nil {
		t.Fatal(err)
	}
	r := rec.Finish(record.StatusCompleted, nil)
	c := r.CountsBetween(0, r.Duration+record.Duration(time.Second))
	if all, _ := rec.Totals(); c.Requests != all.Requests || c.Requests < 150 || c.Server == 0 || c.Degraded == 0 || c.Timeouts == 0 || c.OK == 0 {
		t.Errorf("counts %+v after %d requests; want all four outcomes", c, all.Requests)
	}
}

func TestAttackStopsWithContext(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	rec := record.NewRecorder(time.Now(), record.ScenarioInfo{}, 1)
	start := time.Now()
	attack(ctx, []target{{URL: srv.URL}}, vegeta.Rate{Freq: 100, Per: time.Second}, time.Hour, loadOptions{}, rec)
	if all, _ := rec.Totals(); time.Since(start) > 5*time.Second || all.Requests == 0 {
		t.Errorf("attack of an hour cancelled at 300ms ran %v with %d requests", time.Since(start), all.Requests)
	}
}

// BenchmarkLoadVsPlainVegeta attacks a trivial handler at 5,000 requests/s (or
// SHAKEDOWN_BENCH_RATE) for 3 s: with plain Vegeta (results read and dropped), through Attack into
// a record, and as a whole harness.Run (three phases, scraper, scheduler, recorder), and reports
// the achieved rates: the harness must not distort what it measures. Run with -benchtime 1x.
func BenchmarkLoadVsPlainVegeta(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	rate := vegeta.Rate{Freq: 5000, Per: time.Second}
	if v, err := strconv.Atoi(os.Getenv("SHAKEDOWN_BENCH_RATE")); err == nil {
		rate.Freq = v // to look for where each path saturates
	}
	const du = 3 * time.Second
	b.Run("plain-vegeta", func(b *testing.B) {
		for b.Loop() {
			atk := vegeta.NewAttacker(vegeta.KeepAlive(true))
			start, n := time.Now(), 0
			for range atk.Attack(vegeta.NewStaticTargeter(vegeta.Target{Method: "GET", URL: srv.URL}), rate, du, "plain") {
				n++
			}
			b.ReportMetric(float64(n)/time.Since(start).Seconds(), "req/s")
		}
	})
	b.Run("harness-attack", func(b *testing.B) {
		for b.Loop() {
			rec := record.NewRecorder(time.Now(), record.ScenarioInfo{}, 1)
			start := time.Now()
			if err := attack(context.Background(), []target{{URL: srv.URL}}, rate, du, loadOptions{}, rec); err != nil {
				b.Fatal(err)
			}
			all, _ := rec.Totals()
			b.ReportMetric(float64(all.Requests)/time.Since(start).Seconds(), "req/s")
		}
	})
	b.Run("harness-run", func(b *testing.B) {
		for b.Loop() {
			rec, err := run(context.Background(), trivialScenario(srv.URL, rate, du), RunOptions{StateDir: b.TempDir()})
			if err != nil {
				b.Fatal(err)
			}
			all, _ := rec.PhaseCounts(record.PhaseAll)
			b.ReportMetric(float64(all.Requests)/(rec.Phases[2].End-rec.Phases[0].Start).Seconds(), "req/s")
		}
	})
}

// trivialScenario is a whole run against url: Redis started (the environment is not measured),
// the load at rate over three phases of du/3, no fault, the metrics scraped each second.
func trivialScenario(url string, rate vegeta.Rate, du time.Duration) *scenarios.Scenario {
	third := units.Duration(du / 3)
	return &scenarios.Scenario{Name: "trivial", Seed: 1,
		Environment: scenarios.Environment{Services: []string{service.Redis}, Backend: service.BackendLocal},
		SUT:         scenarios.SUT{URL: url},
		Load:        scenarios.LoadSpec{Rate: units.Rate{Freq: rate.Freq, Per: rate.Per}, Targets: []scenarios.LoadTarget{{URL: "/"}}},
		Phases:      scenarios.Phases{Warmup: third, Fault: third, Recovery: third},
	}
}

// BenchmarkRunSoak runs trivialScenario at 2,000 requests/s for SHAKEDOWN_SOAK (default 5m) and
// reports the Go heap in use after the first minute and at the end, sampled after a GC: the
// record keeps aggregates, so memory must stay flat. make soak runs it; it is not in make test.
func BenchmarkRunSoak(b *testing.B) {
	du := 5 * time.Minute
	if v := os.Getenv("SHAKEDOWN_SOAK"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			b.Fatalf("SHAKEDOWN_SOAK=%q: %v", v, err)
		}
		du = d
	}
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	heap := func() float64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return float64(m.HeapInuse) / (1 << 20)
	}
	for b.Loop() {
		var first, last float64
		var mu sync.Mutex
		rec, err := run(context.Background(), trivialScenario(srv.URL, vegeta.Rate{Freq: 2000, Per: time.Second}, du), RunOptions{StateDir: b.TempDir()},
			ObserverFuncs{Progress: func(p Progress) {
				if s := p.Elapsed.Round(time.Second); s%(10*time.Second) == 0 {
					h := heap()
					mu.Lock()
					if s <= time.Minute {
						first = h
					}
					last = h
					mu.Unlock()
					fmt.Fprintf(os.Stderr, "%s  heap %.1f MiB\n", p, h)
				}
			}})
		if err != nil {
			b.Fatal(err)
		}
		all, _ := rec.PhaseCounts(record.PhaseAll)
		b.ReportMetric(first, "heap-MiB-1m")
		b.ReportMetric(last, "heap-MiB-end")
		b.ReportMetric(float64(all.Requests), "requests")
	}
}

// compiled parses targets as attack does.
func compiled(t *testing.T, ts ...target) []*request {
	t.Helper()
	rs := make([]*request, len(ts))
	for i := range ts {
		r, err := compile(&ts[i], &values{})
		if err != nil {
			t.Fatal(err)
		}
		rs[i] = r
	}
	return rs
}

// TestTargeterFillsTheRequestNumber: {{seq}} becomes the request's number in the URL, the body and
// the headers, and the target's own header is left as it was.
func TestTargeterFillsTheRequestNumber(t *testing.T) {
	t.Parallel()
	h := http.Header{"Idempotency-Key": {"run-{{seq}}"}, "Accept": {"application/json"}}
	next := targeter(compiled(t, target{Method: "POST", URL: "http://x/runs/{{seq}}", Header: h, Body: []byte(`{"n": {{seq}}}`)}), 1, nil, nil)
	for want := range 3 {
		var tg vegeta.Target
		if err := next(&tg); err != nil {
			t.Fatal(err)
		}
		n := strconv.Itoa(want)
		if tg.URL != "http://x/runs/"+n || string(tg.Body) != `{"n": `+n+`}` || tg.Header.Get("Idempotency-Key") != "run-"+n || tg.Header.Get("Accept") != "application/json" {
			t.Errorf("request %d: %s %s %v %s; want the number %s in the URL, the header and the body", want, tg.Method, tg.URL, tg.Header, tg.Body, n)
		}
	}
	if h.Get("Idempotency-Key") != "run-{{seq}}" {
		t.Errorf("the target's own header became %q", h.Get("Idempotency-Key"))
	}
}

// TestTargeterDrawsFromTheSeed: {{uuid}} is a version 4 UUID and {{random 8}} eight letters and
// digits, different for each request, and the same requests again with the same seed (a replay),
// other ones with another.
func TestTargeterDrawsFromTheSeed(t *testing.T) {
	t.Parallel()
	send := func(seed uint64) []string {
		next := targeter(compiled(t, target{URL: "http://x/{{random 8}}", Header: http.Header{"X-Request-Id": {"{{uuid}}"}}}), seed, nil, nil)
		var out []string
		for range 50 {
			var tg vegeta.Target
			if err := next(&tg); err != nil {
				t.Fatal(err)
			}
			out = append(out, tg.URL+" "+tg.Header.Get("X-Request-Id"))
		}
		return out
	}
	uuidRE := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	randRE := regexp.MustCompile(`^http://x/[A-Za-z0-9]{8}$`)
	a := send(7)
	seen := map[string]bool{}
	for _, s := range a {
		url, id, _ := strings.Cut(s, " ")
		if !randRE.MatchString(url) || !uuidRE.MatchString(id) || seen[url] || seen[id] {
			t.Fatalf("request %q: want a new 8-character random and a new version 4 UUID", s)
		}
		seen[url], seen[id] = true, true
	}
	if b := send(7); !slices.Equal(a, b) {
		t.Errorf("the same seed sent %v then %v; want the same requests", a[:2], b[:2])
	}
	if c := send(8); c[0] == a[0] {
		t.Errorf("seeds 7 and 8 both sent %q first", a[0])
	}
}

// TestChainedTargets: a target that uses a value another captures waits for its first answer
// (the round goes on without it), then uses the latest; results are matched to targets by their
// URL templates, and only successful answers are captured.
func TestChainedTargets(t *testing.T) {
	t.Parallel()
	rs := compiled(t,
		target{Name: "create", Method: "POST", URL: "http://x/orders", Capture: map[string]units.Locator{"order": "/data/id"}},
		target{Name: "read", URL: "http://x/orders/{{order}}", Header: http.Header{"Authorization": {"Bearer {{token}}"}}})
	vals := &values{}
	vals.Set("token", "t0k")
	next := targeter(rs, 1, vals, nil)
	urls := func(n int) []string {
		var out []string
		for range n {
			var tg vegeta.Target
			if err := next(&tg); err != nil {
				t.Fatal(err)
			}
			out = append(out, tg.Method+" "+tg.URL+" "+tg.Header.Get("Authorization"))
		}
		return out
	}
	if got := urls(3); !slices.Equal(got, []string{"POST http://x/orders ", "POST http://x/orders ", "POST http://x/orders "}) {
		t.Errorf("before any order was answered: %q; want only creates", got)
	}
	match := matcher(rs, nil)
	create := match("POST", "http://x/orders")
	capture(create, 503, nil, []byte(`{"data": {"id": 9}}`), vals)
	if _, ok := vals.Get("order"); ok {
		t.Fatal("a 503's id was captured")
	}
	capture(create, 200, nil, []byte(`{"data": {"id": 12}}`), vals)
	got := urls(4)
	if !slices.Contains(got, "GET http://x/orders/12 Bearer t0k") || !slices.Contains(got, "POST http://x/orders ") {
		t.Errorf("after order 12 was answered: %q; want creates and reads of order 12 with the token", got)
	}
	if m := match("GET", "http://x/orders/12"); m == nil || m.t.Name != "read" {
		t.Errorf("GET http://x/orders/12 matched %v; want read", m)
	}
	if m := match("GET", "http://x/orders/12/items"); m != nil {
		t.Errorf("GET http://x/orders/12/items matched %s; want none", m.t.Name)
	}
}

// TestTargetsShareAMethodAndURL: two targets of one endpoint (a streamed and a plain call, told
// apart by their bodies) each get their own results, captures and expected statuses, and the
// service never sees the tag that tells them apart. Results were once matched by method and URL
// alone: every result went to the first target.
func TestTargetsShareAMethodAndURL(t *testing.T) {
	t.Parallel()
	var tagged atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get(tagHeader) != "" {
			tagged.Add(1)
		}
		b, _ := io.ReadAll(r.Body)
		if strings.Contains(string(b), `"stream": true`) {
			w.WriteHeader(http.StatusTeapot) // the streamed call: 418, which its target expects
			return
		}
		fmt.Fprint(w, `{"id": "p1"}`)
	}))
	defer srv.Close()
	targets := []target{
		{Name: "plain", Method: "POST", URL: srv.URL + "/v1/chat", Body: []byte(`{"stream": false}`), Capture: map[string]units.Locator{"id": "/id"}},
		{Name: "streamed", Method: "POST", URL: srv.URL + "/v1/chat", Body: []byte(`{"stream": true}`), Expect: []units.StatusRange{{From: 418, To: 418}}},
	}
	rec := record.NewRecorder(time.Now(), record.ScenarioInfo{}, 1)
	vals := &values{}
	if err := attack(context.Background(), targets, vegeta.Rate{Freq: 100, Per: time.Second}, 500*time.Millisecond, loadOptions{Values: vals}, rec); err != nil {
		t.Fatal(err)
	}
	r := rec.Finish(record.StatusCompleted, nil)
	counts := func(name string) record.Counts {
		if ts := r.Targets[name]; ts != nil {
			return ts.Counts[record.PhaseAll]
		}
		return record.Counts{}
	}
	plain, streamed := counts("plain"), counts("streamed")
	if plain.Requests < 20 || streamed.Requests < 20 || plain.Failed != 0 || streamed.Failed != 0 {
		t.Errorf("plain %+v, streamed %+v; want each with its own requests, none failed (the streamed one expects 418)", plain, streamed)
	}
	if id, _ := vals.Get("id"); id != "p1" {
		t.Errorf("captured id %q; want p1, from the plain target's answers", id)
	}
	if n := tagged.Load(); n != 0 {
		t.Errorf("the service saw %s on %d requests; want it taken off", tagHeader, n)
	}
}

// TestTargetAtAService: a target may be sent to one of the run's services by its placeholder
// ({{ollama.url}}/api/tags): its URL is the service's, and its results are matched to it by that
// URL, slashes and all.
func TestTargetAtAService(t *testing.T) {
	t.Parallel()
	vals := &values{m: map[string]string{"ollama.url": "http://127.0.0.1:5001"}}
	r, err := compile(&target{Name: "tags", URL: "{{ollama.url}}/api/tags"}, vals)
	if err != nil {
		t.Fatal(err)
	}
	var tg vegeta.Target
	if err := targeter([]*request{r}, 1, vals, nil)(&tg); err != nil || tg.URL != "http://127.0.0.1:5001/api/tags" {
		t.Fatalf("target = %s, %v; want http://127.0.0.1:5001/api/tags", tg.URL, err)
	}
	match := matcher([]*request{r}, nil)
	if m := match("GET", tg.URL); m != r {
		t.Errorf("GET %s matched %v; want the target", tg.URL, m)
	}
	if m := match("GET", "http://127.0.0.1:5002/api/tags"); m != nil {
		t.Errorf("another service's /api/tags matched %s; want none", m.t.Name)
	}
}
