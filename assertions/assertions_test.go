package assertions

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shakedown-dev/shakedown/record"
	"github.com/shakedown-dev/shakedown/units"
)

const sec = record.Duration(time.Second)

// run builds a record: warmup [0,10s) at 10 req/s all fine; fault [10s,20s) at 10 req/s with
// 3 of 10 each second failing (5xx) and slow; recovery [20s,30s) fine; and a breaker state series
// that is 0, then 1 from 12s to 17s, then 0.
func run() *record.Record {
	r := &record.Record{Duration: 30 * sec, Latency: map[string]*record.Histogram{}}
	r.Phases = []record.Phase{{Name: "warmup", Start: 0, End: 10 * sec, Rate: 10}, {Name: "fault", Start: 10 * sec, End: 20 * sec, Rate: 10}, {Name: "recovery", Start: 20 * sec, End: 30 * sec, Rate: 10}}
	all := &record.Histogram{}
	for i, p := range r.Phases {
		h := &record.Histogram{}
		for s := p.Start; s < p.End; s += sec {
			c := record.Counts{Requests: 10, OK: 10}
			for i := range 10 {
				d := 20 * time.Millisecond
				if p.Name == "fault" && i < 3 {
					d = 2 * time.Second
				}
				h.Record(d)
				all.Record(d)
			}
			if p.Name == "fault" {
				c.OK, c.Server, c.Failed, c.Failed5xx = 7, 3, 3, 3
			}
			r.Seconds = append(r.Seconds, record.Second{At: s, Counts: c})
			r.Phases[i].Counts.Add(c)
		}
		r.Latency[p.Name] = h
	}
	r.Latency[record.PhaseAll] = all
	st := record.Series{Name: "resilience_circuit_breaker_state", Labels: map[string]string{"name": "ollama"}}
	for s := record.Duration(0); s < 30*sec; s += sec {
		v := 0.0
		if s >= 12*sec && s < 17*sec {
			v = 1
		}
		st.Points = append(st.Points, record.Point{At: s, Value: v})
	}
	r.Series = []record.Series{st}
	return r
}

func TestVerdicts(t *testing.T) {
	t.Parallel()
	rec := run()
	c := func(phase string) Common { return Common{Name: "check", Phase: phase} }
	breaker := map[string]string{"name": "ollama"}
	tests := []struct {
		spec   Spec
		status Status
		expl   string
	}{
		{&Availability{Common: c("warmup"), Min: 0.999}, Pass, "check during warmup: 100% available (100 of 100; failed: 0 4xx, 0 5xx, 0 errors) over 100 samples; want at least 99.9%"},
		{&Availability{Common: c("fault"), Min: 0.999}, Fail, "check during fault: measured 70% available (70 of 100; failed: 0 4xx, 30 5xx, 0 errors) over 100 samples; want at least 99.9%"},
		{&Availability{Common: Common{Name: "check", Phase: "fault", MinSamples: 500}, Min: 0.5}, Insufficient, "only 100 samples, fewer than the 500 a verdict needs"},
		{&Availability{Common: c(""), Min: 0.9}, Pass, "check during all: 90% available (270 of 300"},
		{&ErrorRate{Common: c("fault"), Max: 0.1}, Fail, "measured 30% failed (30 of 100: 0 4xx, 30 5xx, 0 errors)"},
		{&ErrorRate{Common: c("recovery"), Max: 0.001}, Pass, "0% failed"},
		{&Latency{Common: c("warmup"), Quantile: 0.95, Max: units.Duration(time.Second)}, Pass, "p95 20ms"},
		{&Latency{Common: c("fault"), Quantile: 0.95, Max: units.Duration(time.Second)}, Fail, "measured p95 2s over 100 samples; want at most 1s"},
		{&Throughput{Common: c("fault"), Min: 0.95}, Pass, "10.0 requests/s of 10.0 requested (100%)"},
		{&Throughput{Common: c("nope"), Min: 0.95}, Insufficient, `the record has no "nope" phase`},
		{&Metric{Common: c("fault"), Metric: "resilience_circuit_breaker_state", Labels: breaker, Op: OpReached, Value: 1}, Pass, "1 first at 12s"},
		{&Metric{Common: c("warmup"), Metric: "resilience_circuit_breaker_state", Labels: breaker, Op: OpNever, Value: 1}, Pass, "never 1 (from 0 to 0)"},
		{&Metric{Common: c("fault"), Metric: "resilience_circuit_breaker_state", Labels: breaker, Op: OpNever, Value: 1}, Fail, "measured 1 at 12s"},
		{&Metric{Common: c("recovery"), Metric: "resilience_circuit_breaker_state", Labels: breaker, Op: OpAtEnd, Value: 0}, Pass, "0 at the end (29s)"},
		{&Metric{Common: c("fault"), Metric: "resilience_circuit_breaker_state", Labels: breaker, Op: OpMaxAtMost, Value: 0}, Fail, "max 1 at 12s"},
		{&Metric{Common: c("fault"), Metric: "resilience_retry_calls_total", Op: OpIncrease, Value: 1}, Insufficient, "no series resilience_retry_calls_total was collected; the nearest names collected are"},
	}
	for i, tt := range tests {
		t.Run(fmt.Sprintf("%d-%s", i, tt.spec.Kind()), func(t *testing.T) {
			t.Parallel()
			if err := tt.spec.Validate(); err != nil && tt.status != Insufficient {
				t.Fatalf("Validate() = %v", err)
			}
			v := tt.spec.Evaluate(rec)
			if v.Status != tt.status || !strings.Contains(v.Explanation, tt.expl) {
				t.Errorf("Evaluate = %s: %q; want %s containing %q", v.Status, v.Explanation, tt.status, tt.expl)
			}
		})
	}
}

func TestMetricVerdictPointsAtTheMoment(t *testing.T) {
	t.Parallel()
	v := (&Metric{Common: Common{Name: "opened", Phase: "fault"}, Metric: "resilience_circuit_breaker_state", Op: OpReached, Value: 1}).Evaluate(run())
	if v.At == nil || *v.At != 12*sec || v.Samples != 10 {
		t.Errorf("At = %v, samples %d; want 12s over the 10 points of the fault phase", v.At, v.Samples)
	}
}

func TestValidateNamesFields(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		spec Spec
		want string
	}{
		{&Availability{Common: Common{Name: "a", Phase: "later"}, Min: 0.9}, `phase = "later"; want warmup, fault, recovery or all`},
		{&Availability{Common: Common{Name: "a"}}, "min = 0%; want a share in (0, 1]"},
		{&Latency{Common: Common{Name: "l"}, Quantile: 0.95}, "max = 0s; want more than 0"},
		{&Metric{Common: Common{Name: "m"}, Metric: "x", Op: "about"}, `op = "about"; want one of reached, never`},
		{&ErrorRate{Common: Common{Name: "", MinSamples: -1}}, "min_samples = -1"},
	} {
		if err := tt.spec.Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%T.Validate() = %v; want %q", tt.spec, err, tt.want)
		}
	}
}

func TestLookupAndEvaluate(t *testing.T) {
	t.Parallel()
	var specs []Spec
	for _, k := range Kinds() {
		s, ok := Lookup(k.Name)
		if !ok || s.Kind() != k.Name || s.Base().Type != k.Name {
			t.Errorf("Lookup(%q) = %v, %v", k.Name, s, ok)
		}
		specs = append(specs, s)
	}
	if got := Evaluate(run(), specs); len(got) != len(specs) {
		t.Errorf("Evaluate gave %d verdicts for %d specs", len(got), len(specs))
	}
	if _, ok := Lookup("vibes"); ok {
		t.Error("Lookup(vibes) found a kind")
	}
}

func ExampleEvaluate() {
	verdicts := Evaluate(run(), []Spec{
		&Availability{Common: Common{Name: "available during the fault", Phase: "fault"}, Min: 0.95},
		&Metric{Common: Common{Name: "ollama breaker opened", Phase: "fault"}, Metric: "resilience_circuit_breaker_state",
			Labels: map[string]string{"name": "ollama"}, Op: OpReached, Value: 1},
	})
	for _, v := range verdicts {
		fmt.Printf("%s: %s\n", v.Status, v.Explanation)
	}
	// Output:
	// fail: available during the fault during fault: measured 70% available (70 of 100; failed: 0 4xx, 30 5xx, 0 errors) over 100 samples; want at least 95%
	// pass: ollama breaker opened during fault: 1 first at 12s over 10 samples; want resilience_circuit_breaker_state{name="ollama"} reached 1
}

// TestFailedVerdictNamesItsTargets: a verdict over every request that fails names the targets
// its failures came from, most first; one limited to a target does not.
func TestFailedVerdictNamesItsTargets(t *testing.T) {
	t.Parallel()
	rec := run()
	runs := record.Counts{Requests: 50, OK: 20, Client: 30, Failed: 30, Failed4xx: 30}
	agents := record.Counts{Requests: 50, OK: 50}
	rec.Targets = map[string]*record.TargetStats{"agents": {Counts: map[string]record.Counts{"fault": agents}}, "runs": {Counts: map[string]record.Counts{"fault": runs}}}
	v := (&Availability{Common: Common{Name: "a", Phase: "fault"}, Min: 0.99}).Evaluate(rec)
	if want := "; by target: runs 30 of 50 failed (30 4xx, 0 5xx, 0 errors), agents 0 of 50 failed"; v.Status != Fail || !strings.Contains(v.Explanation, want) {
		t.Errorf("Evaluate = %s %q; want fail containing %q", v.Status, v.Explanation, want)
	}
	v = (&Availability{Common: Common{Name: "a", Phase: "fault", Target: "runs"}, Min: 0.99}).Evaluate(rec)
	if strings.Contains(v.Explanation, "by target") {
		t.Errorf("a verdict on one target names targets: %q", v.Explanation)
	}
}
