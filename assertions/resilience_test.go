package assertions

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/shakedown-dev/shakedown/record"
	"github.com/shakedown-dev/shakedown/units"
)

// resilientRun is run() with what the resilience verdicts read: a fault "llm-down" applied at 11s
// and removed at 16s (the breaker, open from 12s to 17s, opened 1s after it and closed 1s after);
// 2 of 10 answers degraded each second of the fault phase; retries: 8 recovered and 2 exhausted in
// the fault phase; readiness 0 from 12s to 15s; a durability check with one write missing; and a
// named target "agents" with the warmup's results.
func resilientRun() *record.Record {
	r := run()
	r.Faults = []record.FaultEvent{
		{At: 11 * sec, Fault: "llm-down", Kind: "http", Target: "ollama", Action: record.FaultApplied},
		{At: 16 * sec, Fault: "llm-down", Kind: "http", Target: "ollama", Action: record.FaultRemoved},
	}
	for i := range r.Seconds {
		if s := &r.Seconds[i]; s.At >= 10*sec && s.At < 20*sec {
			s.Degraded = 2
		}
	}
	fp := &r.Phases[1]
	fp.Counts.Degraded = 20
	after := record.Series{Name: "resilience_retry_calls_total", Labels: map[string]string{"name": "ollama", "outcome": "success_after_retry"}}
	exhausted := record.Series{Name: "resilience_retry_calls_total", Labels: map[string]string{"name": "ollama", "outcome": "exhausted"}}
	ready := record.Series{Name: "shakedown_sut_ready"}
	for s := record.Duration(0); s < 30*sec; s += sec {
		a, e, rd := 0.0, 0.0, 1.0
		if s >= 10*sec {
			a, e = min(float64(s/sec-9), 8)+5, min(float64(s/sec-9), 2) // 5 before the phase: not counted
		} else {
			a = min(float64(s/sec), 5)
		}
		if s >= 12*sec && s < 15*sec {
			rd = 0
		}
		after.Points = append(after.Points, record.Point{At: s, Value: a})
		exhausted.Points = append(exhausted.Points, record.Point{At: s, Value: e})
		ready.Points = append(ready.Points, record.Point{At: s, Value: rd})
	}
	r.Series = append(r.Series, after, exhausted, ready)
	r.Durability = map[string]*record.Durability{"check": {Query: "SELECT id FROM runs WHERE id = ANY($1)", Acknowledged: 120, Checked: 120, Missing: 1, MissingIDs: []string{"abc"}}}
	r.Targets = map[string]*record.TargetStats{"agents": {Counts: map[string]record.Counts{"warmup": r.Phases[0].Counts}, Latency: map[string]*record.Histogram{"warmup": r.Latency["warmup"]}}}
	return r
}

// verdictCase is a verdict over resilientRun: its spec, its status and a part of its explanation.
type verdictCase struct {
	spec   Spec
	status Status
	expl   string
}

func resilienceCases() []verdictCase {
	c := func(phase string) Common { return Common{Name: "check", Phase: phase} }
	p := func(f float64) *units.Probability { v := units.Probability(f); return &v }
	d := func(d time.Duration) units.Duration { return units.Duration(d) }
	return []verdictCase{
		{&Degraded{Common: c("fault"), Max: p(0.25)}, Pass, "20% degraded (20 of 100)"},
		{&Degraded{Common: c("fault"), Max: p(0.05)}, Fail, "measured 20% degraded (20 of 100) over 100 samples; want at most 5%"},
		{&Degraded{Common: c("warmup"), Min: p(0.01)}, Fail, "want at least 1%"},
		{&Breaker{Common: c(""), Breaker: "ollama", OpensWithin: d(2 * time.Second), ClosesWithin: d(2 * time.Second)}, Pass, "opened 1s after the fault's start and closed 1s after the fault's end"},
		{&Breaker{Common: c(""), Breaker: "ollama", OpensWithin: d(500 * time.Millisecond)}, Fail, "want breaker ollama to open within 500ms of the fault's start at 11s"},
		{&Breaker{Common: c(""), Breaker: "ollama", Fault: "other", OpensWithin: d(time.Second)}, Insufficient, `no fault "other" was applied`},
		{&Breaker{Common: c("warmup"), Breaker: "ollama", NeverOpens: true}, Pass, "closed at every scrape"},
		{&Breaker{Common: c("fault"), Breaker: "ollama", NeverOpens: true}, Fail, "it was not closed at 12s (state value 1)"},
		{&Breaker{Common: c(""), Breaker: "redis", NeverOpens: true}, Insufficient, `no series resilience_circuit_breaker_state{name="redis"} was collected`},
		{&Breaker{Common: c(""), Breaker: "redis", OpensWithin: d(time.Second)}, Insufficient, `no series resilience_circuit_breaker_state{name="redis"} was collected; the series of that name are resilience_circuit_breaker_state{name="ollama"}`},
		{&Retries{Common: c("fault"), Retry: "ollama", Min: 0.75}, Pass, "80% of the calls that needed a retry succeeded (8 of 10; 2 gave up)"},
		{&Retries{Common: c("fault"), Retry: "ollama", Min: 0.9}, Fail, "want at least 90%"},
		{&Retries{Common: c("warmup"), Retry: "ollama", Min: 0.9}, Insufficient, "only 5 samples"},
		{&SLO{Common: c("warmup"), Objective: 0.999, Latency: &LatencyObjective{Quantile: 0.95, Max: d(time.Second)}}, Pass, "100% available (100 of 100), 0% of the error budget spent (level ok)"},
		{&SLO{Common: c("fault"), Objective: 0.999}, Fail, "measured 70% available (70 of 100), 30000% of the error budget spent (level freeze)"},
		{&SLO{Common: c("all"), Objective: 0.5, AlertLevels: []units.Probability{0.5, 0.8}, MaxBudgetSpent: 0.5}, Pass, "90% available (270 of 300), 20% of the error budget spent (level ok)"},
		{&SLO{Common: c("fault"), Objective: 0.5, Latency: &LatencyObjective{Quantile: 0.95, Max: d(time.Second)}}, Fail, "p95 2s"},
		{&RecoveryTime{Common: c(""), Objective: 0.99, Max: d(5 * time.Second)}, Pass, "availability back 4s after the fault ended (100% over the 5s window from then)"},
		{&RecoveryTime{Common: c(""), Objective: 0.99, Max: d(2 * time.Second)}, Fail, "want availability back at 99% (over a 5s window) within 2s of the fault's end at 16s"},
		{&RecoveryTime{Common: c(""), Objective: 0.99, Window: d(time.Second), Max: d(5 * time.Second)}, Pass, "4s after the fault ended"},
		{&RecoveryTime{Common: c(""), Objective: 0.99, Window: d(time.Second), Max: d(5 * time.Second), DegradedIsBad: true}, Pass, "want availability of full (not degraded) answers back at 99% (over a 1s window)"},
		{&Readiness{Common: c("fault")}, Pass, "not ready first at 12s, ready again from 15s"},
		{&Readiness{Common: c("warmup")}, Fail, "ready at every probe of warmup: the outage was not reported"},
		{&Durability{Common: c("")}, Fail, "acknowledged=120 missing=1 (first missing: [abc])"},
		{&Availability{Common: Common{Name: "check", Phase: "warmup", Target: "agents"}, Min: 0.99}, Pass, "100% available (100 of 100"},
		{&Availability{Common: Common{Name: "check", Phase: "fault", Target: "agents"}, Min: 0.99}, Insufficient, `target "agents" has no results in the "fault" phase`},
		{&Latency{Common: Common{Name: "check", Phase: "warmup", Target: "nope"}, Quantile: 0.95, Max: d(time.Second)}, Insufficient, "only 0 samples"},
	}
}

func TestResilienceVerdicts(t *testing.T) {
	t.Parallel()
	rec := resilientRun()
	for i, tt := range resilienceCases() {
		t.Run(fmt.Sprintf("%d-%s", i, tt.spec.Kind()), func(t *testing.T) {
			t.Parallel()
			if err := tt.spec.Validate(); err != nil {
				t.Fatalf("Validate() = %v", err)
			}
			v := tt.spec.Evaluate(rec)
			if v.Status != tt.status || !strings.Contains(v.Explanation, tt.expl) {
				t.Errorf("Evaluate = %s: %q; want %s containing %q", v.Status, v.Explanation, tt.status, tt.expl)
			}
		})
	}
	whole := resilientRun()
	whole.Durability["check"].Missing, whole.Durability["check"].MissingIDs = 0, nil
	if v := (&Durability{Common: Common{Name: "check"}}).Evaluate(whole); v.Status != Pass || !strings.Contains(v.Explanation, "acknowledged=120 missing=0") {
		t.Errorf("durability with nothing missing: %s %q", v.Status, v.Explanation)
	}
}

var update = flag.Bool("update", false, "rewrite the golden files")

// TestExplanationsGolden holds every explanation of resilienceCases word for word
// (testdata/explanations.golden; go test -run Golden -update rewrites it): a reader must not be
// able to misread one, and a change of wording is a reviewed diff.
func TestExplanationsGolden(t *testing.T) {
	t.Parallel()
	rec := resilientRun()
	var b strings.Builder
	for _, tt := range resilienceCases() {
		v := tt.spec.Evaluate(rec)
		fmt.Fprintf(&b, "%s %s: %s\n", v.Kind, v.Status, v.Explanation)
	}
	const golden = "testdata/explanations.golden"
	if *update {
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got := b.String(); got != string(want) {
		t.Errorf("explanations differ from %s; run go test ./assertions -run Golden -update and review the diff:\n%s", golden, got)
	}
}

func TestResilienceValidate(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		spec Spec
		want string
	}{
		{&Degraded{Common: Common{Name: "d"}}, "min/max = unset; want min, max or both"},
		{&Breaker{Common: Common{Name: "b"}, Breaker: "ollama"}, "never_opens = false; want either never_opens: true, or opens_within"},
		{&Breaker{Common: Common{Name: "b"}, NeverOpens: true}, `breaker = ""`},
		{&Retries{Common: Common{Name: "r"}, Retry: "x"}, "min = 0%"},
		{&SLO{Common: Common{Name: "s"}, Objective: 1}, "objective = 100%; want a share in (0, 1)"},
		{&SLO{Common: Common{Name: "s"}, Objective: 0.9, AlertLevels: []units.Probability{0.8, 0.5}}, "want two increasing shares below 100%"},
		{&RecoveryTime{Common: Common{Name: "r"}, Objective: 0.99}, "max = 0s"},
		{&Readiness{Common: Common{Name: "r"}}, "phase = all; want the phase of the outage"},
	} {
		if err := tt.spec.Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%T.Validate() = %v; want %q", tt.spec, err, tt.want)
		}
	}
}

// TestBreakerWithNothingScraped: with no series at all (the scrape never worked) an absent
// breaker is too little data, and says why.
func TestBreakerWithNothingScraped(t *testing.T) {
	t.Parallel()
	rec := resilientRun()
	rec.Series = nil
	rec.Scrape = &record.ScrapeStats{URL: "http://x/metrics", Attempts: 12, Failed: 12, LastError: "GET http://x/metrics: 404 Not Found"}
	b := &Breaker{Common: Common{Name: "b"}, Breaker: "redis", OpensWithin: units.Duration(time.Second)}
	if v := b.Evaluate(rec); v.Status != Insufficient || !strings.Contains(v.Explanation, "no series was collected at all (every one of 12 scrapes failed; the last: GET http://x/metrics: 404 Not Found)") {
		t.Errorf("Evaluate with nothing scraped = %s (%s); want insufficient-data with the failed scrapes", v.Status, v.Explanation)
	}
}

// TestSeriesNeverCollected: a verdict whose series never appeared (a misspelt name, a breaker or
// retryer that is not there) is insufficient data naming the series and what was collected
// nearest, never a failure: "the service did not notice" and "no such series" must not read alike.
func TestSeriesNeverCollected(t *testing.T) {
	t.Parallel()
	rec := run()
	calls := record.Series{Name: record.BreakerCallsSeries, Labels: map[string]string{"name": "ollama", "outcome": "success"}, Points: []record.Point{{At: 0, Value: 0}, {At: 29 * sec, Value: 90}}}
	rec.Series = append(rec.Series, calls, record.Series{Name: "gateway_upstream_failures_total", Points: []record.Point{{At: 0, Value: 0}, {At: 29 * sec, Value: 0}}})
	for i := range 40 {
		rec.DecisionLog = append(rec.DecisionLog, record.Decision{At: 10*sec + record.Duration(i)*sec/4, Fault: "dies", Injected: true})
	}
	for _, tt := range []struct {
		spec Spec
		want string
	}{
		{&Noticed{Common: Common{Name: "n"}, Fault: "dies", Failures: &SeriesRef{Name: "gateway_upstream_failure_total"}, Min: 0.9},
			"no series gateway_upstream_failure_total was collected; the nearest names collected are gateway_upstream_failures_total, "},
		{&Noticed{Common: Common{Name: "n"}, Fault: "dies", Breaker: "olama", Min: 0.9},
			`no series resilience_circuit_breaker_calls_total{name="olama"} was collected; the series of that name are resilience_circuit_breaker_calls_total{name="ollama"}`},
		{&Retries{Common: Common{Name: "r"}, Retry: "ollama", Min: 0.9}, `no series resilience_retry_calls_total{name="ollama"} was collected`},
		{&Retries{Common: Common{Name: "r"}, Min: 0.9, Counters: &RetryCounters{Recovered: SeriesRef{Name: record.BreakerCallsSeries}, GaveUp: SeriesRef{Name: "gateway_gave_up_total"}}},
			"no series gateway_gave_up_total was collected"},
		{&Metric{Common: Common{Name: "m"}, Metric: "gateway_upstream_failures_total", Labels: map[string]string{"channel": "a"}, Op: OpIncrease},
			`no series gateway_upstream_failures_total{channel="a"} was collected; the series of that name are gateway_upstream_failures_total`},
	} {
		if v := tt.spec.Evaluate(rec); v.Status != Insufficient || !strings.Contains(v.Explanation, tt.want) {
			t.Errorf("%s %s: %s %q; want insufficient-data with %q", tt.spec.Kind(), tt.spec.Base().Name, v.Status, v.Explanation, tt.want)
		}
	}
	// The service's counter of failures exists and did not move: that is a failure, not missing data.
	n := &Noticed{Common: Common{Name: "n"}, Fault: "dies", Failures: &SeriesRef{Name: "gateway_upstream_failures_total"}, Min: 0.9}
	if v := n.Evaluate(rec); v.Status != Fail || !strings.Contains(v.Explanation, "0 failed calls counted by the service for 40 injections") {
		t.Errorf("noticed on a counter that did not move: %s %q; want fail", v.Status, v.Explanation)
	}
}

// TestDurabilityWithoutAcknowledgements: a run that saw no acknowledged write says why: the
// answers' statuses, or how many matched the status without an id.
func TestDurabilityWithoutAcknowledgements(t *testing.T) {
	t.Parallel()
	rec := resilientRun()
	rec.Durability = map[string]*record.Durability{"d": {Query: "q", Rule: "status 201, the id from the last path segment of its Location"}}
	rec.Statuses = map[int]int64{200: 300, 503: 12}
	d := &Durability{Common: Common{Name: "d"}}
	if v := d.Evaluate(rec); v.Status != Insufficient || !strings.Contains(v.Explanation, "no response matched the rule (status 201, the id from the last path segment of its Location); the answers were 200 ×300, 503 ×12") {
		t.Errorf("Evaluate = %s %q; want insufficient-data naming the statuses", v.Status, v.Explanation)
	}
	rec.Acks = map[string]*record.Acks{"d": {WithoutID: 40}, "other": {Total: 3, IDs: []string{"a", "b", "c"}}}
	if v := d.Evaluate(rec); !strings.Contains(v.Explanation, "40 answers had the rule's status but no id where it says") {
		t.Errorf("Evaluate = %q; want the answers without an id counted", v.Explanation)
	}
	if err := (&Durability{Common: Common{Name: "d"}, ID: "body.id"}).Validate(); err == nil || !strings.Contains(err.Error(), "want location, header:NAME or a JSON pointer") {
		t.Errorf("Validate(id: body.id) = %v; want the accepted forms", err)
	}
}

// TestOtherLibrariesSeries: the breaker and retries verdicts read a service's own series for
// another library's breaker and retries. gobreaker v2's state reads closed 0, half-open 1, open
// 2: read with the core's values, its half-open would pass for open.
func TestOtherLibrariesSeries(t *testing.T) {
	t.Parallel()
	rec := resilientRun() // llm-down from 11s to 16s
	gb := record.Series{Name: "myapp_gobreaker_state", Labels: map[string]string{"breaker": "llm"}}
	recovered := record.Series{Name: "myapp_retries_total", Labels: map[string]string{"result": "recovered"}}
	gaveUp := record.Series{Name: "myapp_retries_total", Labels: map[string]string{"result": "gave_up"}}
	for s := record.Duration(0); s < 30*sec; s += sec {
		v := 0.0 // closed
		switch {
		case s >= 12*sec && s < 17*sec:
			v = 2 // open
		case s == 17*sec:
			v = 1 // half-open
		}
		gb.Points = append(gb.Points, record.Point{At: s, Value: v})
		n := float64(max(0, min(s, 20*sec)-10*sec) / sec)
		recovered.Points = append(recovered.Points, record.Point{At: s, Value: 0.8 * n * 2})
		gaveUp.Points = append(gaveUp.Points, record.Point{At: s, Value: 0.2 * n * 2})
	}
	rec.Series = append(rec.Series, gb, recovered, gaveUp)
	gobreaker := &BreakerSeries{Name: "myapp_gobreaker_state", Label: "breaker", Open: []float64{2}, Closed: []float64{0}}
	b := &Breaker{Common: Common{Name: "b"}, Breaker: "llm", Series: gobreaker, OpensWithin: units.Duration(2 * time.Second), ClosesWithin: units.Duration(3 * time.Second)}
	if v := b.Evaluate(rec); v.Status != Pass || !strings.Contains(v.Explanation, "opened 1s after the fault's start and closed 2s after the fault's end") {
		t.Errorf("gobreaker mapped: %s %q; want opened 1s after and closed 2s after (half-open at 17s is not closed)", v.Status, v.Explanation)
	}
	b.Series = &BreakerSeries{Name: "myapp_gobreaker_state", Label: "breaker"} // the core's values: 1 open, 0 closed
	if v := b.Evaluate(rec); v.Status != Fail {
		t.Errorf("gobreaker read with the core's values: %s %q; want fail (its open 2 is not open, its half-open 1 is)", v.Status, v.Explanation)
	}
	r := &Retries{Common: Common{Name: "r", Phase: "fault"}, Min: 0.75, Counters: &RetryCounters{
		Recovered: SeriesRef{Name: "myapp_retries_total", Labels: map[string]string{"result": "recovered"}},
		GaveUp:    SeriesRef{Name: "myapp_retries_total", Labels: map[string]string{"result": "gave_up"}}}}
	if v := r.Evaluate(rec); v.Status != Pass || !strings.Contains(v.Explanation, "80% of the calls that needed a retry succeeded") {
		t.Errorf("retries from the service's counters: %s %q; want 80%% recovered", v.Status, v.Explanation)
	}
	if err := (&Retries{Common: Common{Name: "r"}, Min: 0.5}).Validate(); err == nil || !strings.Contains(err.Error(), "or counters with recovered and gave_up") {
		t.Errorf("Validate without retry or counters = %v", err)
	}
}

// TestNoticed: the injections come from the decision log, or, for a fault decided where it ran
// (a mock in a container), from the counts of its removal events; a service that counted few of
// them as failures fails.
func TestNoticed(t *testing.T) {
	t.Parallel()
	failures := func(n float64) record.Series {
		s := record.Series{Name: "resilience_circuit_breaker_calls_total", Labels: map[string]string{"name": "ollama", "outcome": "failure"}}
		for at := record.Duration(0); at < 30*sec; at += sec {
			v := 0.0
			if at >= 15*sec {
				v = n
			}
			s.Points = append(s.Points, record.Point{At: at, Value: v})
		}
		return s
	}
	logged := func(failed float64) *record.Record {
		r := run()
		for i := range 40 {
			r.DecisionLog = append(r.DecisionLog, record.Decision{At: 10*sec + record.Duration(i)*sec/4, Fault: "dies", Injected: i%2 == 0})
		}
		r.Series = append(r.Series, failures(failed))
		return r
	}
	counted := func(failed float64) *record.Record {
		r := run()
		r.Faults = []record.FaultEvent{{At: 10 * sec, Fault: "dies", Action: record.FaultApplied},
			{At: 20 * sec, Fault: "dies", Action: record.FaultRemoved, Counted: true, Decided: 40, Injected: 20}}
		r.Series = append(r.Series, failures(failed))
		return r
	}
	n := &Noticed{Common: Common{Name: "n", Phase: "all"}, Fault: "dies", Breaker: "ollama", Min: 0.9}
	for _, tt := range []struct {
		name string
		rec  *record.Record
		want Status
		text string
	}{
		{"logged, all noticed", logged(20), Pass, "20 failed calls counted by the service for 20 injections of dies (100%)"},
		{"logged, retried twice each: capped", logged(40), Pass, "(100%)"},
		{"logged, kept as answers", logged(0), Fail, "0 failed calls counted by the service for 20 injections"},
		{"counted in a container", counted(19), Pass, "19 failed calls counted by the service for 20 injections of dies (95%)"},
		{"counted in a container, kept as answers", counted(2), Fail, "(10%)"},
		{"no injection", func() *record.Record { r := run(); r.Series = append(r.Series, failures(0)); return r }(), Insufficient, "only 0 samples"},
	} {
		v := n.Evaluate(tt.rec)
		if v.Status != tt.want || !strings.Contains(v.Explanation, tt.text) {
			t.Errorf("%s: %s %q; want %s with %q", tt.name, v.Status, v.Explanation, tt.want, tt.text)
		}
	}
	if err := (&Noticed{Common: Common{Name: "n"}, Min: 0.9}).Validate(); err == nil || !strings.Contains(err.Error(), `fault = ""`) {
		t.Errorf("Validate without a fault = %v", err)
	}
}

// TestBreakerAcrossReplicas: a breaker series across replicas (the worst replica's state) says
// which replicas opened.
func TestBreakerAcrossReplicas(t *testing.T) {
	t.Parallel()
	rec := resilientRun()
	agg := rec.FindSeries("resilience_circuit_breaker_state", map[string]string{"name": "ollama"})[0]
	for _, in := range []string{"10.0.0.3:8080", "10.0.0.1:8080", "10.0.0.2:8080"} {
		s := record.Series{Name: agg.Name, Labels: map[string]string{"name": "ollama", record.InstanceLabel: in}}
		for _, p := range agg.Points {
			if in != "10.0.0.2:8080" {
				p.Value = 0
			}
			s.Points = append(s.Points, p)
		}
		rec.ReplicaSeries = append(rec.ReplicaSeries, s)
	}
	opens := &Breaker{Common: Common{Name: "b"}, Breaker: "ollama", OpensWithin: units.Duration(2 * time.Second)}
	if v := opens.Evaluate(rec); v.Status != Pass || !strings.HasSuffix(v.Measured, "; open on 1 of its 3 replicas: 10.0.0.2:8080") {
		t.Errorf("%s: %q; want a pass naming the one replica that opened", v.Status, v.Measured)
	}
	never := &Breaker{Common: Common{Name: "b", Phase: "warmup"}, Breaker: "ollama", NeverOpens: true}
	if v := never.Evaluate(rec); v.Status != Pass || !strings.HasSuffix(v.Measured, "; closed on each of its 3 replicas") {
		t.Errorf("%s: %q; want each replica closed in the warmup", v.Status, v.Measured)
	}
}

// TestBreakerAbsentFromTheCore: a service that exports the resilience core's metrics but no
// breaker state at all has no breaker to open: the breaker verdict fails (the negative check of
// the catalog runs agentd with --no-breakers); a breaker name missing beside other breakers, or
// a service's own series missing, is insufficient data, naming what was collected.
func TestBreakerAbsentFromTheCore(t *testing.T) {
	t.Parallel()
	rec := resilientRun()
	var others []record.Series
	for _, s := range rec.Series {
		if s.Name != record.BreakerSeries {
			others = append(others, s)
		}
	}
	rec.Series = others
	b := &Breaker{Common: Common{Name: "b"}, Breaker: "redis", OpensWithin: units.Duration(time.Second)}
	if v := b.Evaluate(rec); v.Status != Fail || !strings.Contains(v.Explanation, "exports the resilience core's metrics (resilience_retry_calls_total") || !strings.Contains(v.Explanation, "no breaker redis to open") {
		t.Errorf("no breaker at all: %s %q; want fail", v.Status, v.Explanation)
	}
	own := &Breaker{Common: Common{Name: "b"}, Breaker: "db", OpensWithin: units.Duration(time.Second), Series: &BreakerSeries{Name: "myapp_breaker_stat"}}
	if v := own.Evaluate(rec); v.Status != Insufficient {
		t.Errorf("a service's own breaker series missing: %s %q; want insufficient-data", v.Status, v.Explanation)
	}
}
