package harness

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shakedown-dev/shakedown/assertions"
	"github.com/shakedown-dev/shakedown/faults"
	"github.com/shakedown-dev/shakedown/record"
	"github.com/shakedown-dev/shakedown/reports"
	"github.com/shakedown-dev/shakedown/scenarios"
	"github.com/shakedown-dev/shakedown/units"
)

// TestRequestInFlightAtTheFaultStart forces the race of issue 24: requests sent in the last part
// of the warmup are held by the service until the fault is applied, then answered 503 (the
// dependency was cut under them). They count in the fault phase, so the steady state before the
// fault is judged on requests the fault could not touch and the warmup verdict passes, every
// time; the fault phase's count has them.
func TestRequestInFlightAtTheFaultStart(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("-short: no servers")
	}
	var (
		mu      sync.Mutex
		warmup  time.Time // when the warmup began
		applied = make(chan struct{})
		once    sync.Once
		held    int
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		late := !warmup.IsZero() && time.Since(warmup) > 600*time.Millisecond
		mu.Unlock()
		select {
		case <-applied:
			return // 200: the fault in this test touches nothing the service uses
		default:
		}
		if late && r.URL.Path == "/" {
			mu.Lock()
			held++
			mu.Unlock()
			<-applied
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	sc := readyScenario(scenarios.SUT{URL: srv.URL})
	sc.Load.Rate = units.Rate{Freq: 20, Per: time.Second}
	sc.Phases = scenarios.Phases{Warmup: units.Duration(time.Second), Fault: units.Duration(time.Second), Recovery: units.Duration(500 * time.Millisecond)}
	sc.Faults = []faults.Spec{&faults.Latency{Common: faults.Common{Name: "slow-redis", Type: "latency", Target: "redis"}, Latency: units.Duration(time.Millisecond)}}
	sc.Assertions = []assertions.Spec{&assertions.Availability{Common: assertions.Common{Name: "healthy before", Type: "availability", Phase: record.PhaseWarmup, MinSamples: 5}, Min: 1}}
	rec, err := run(context.Background(), sc, RunOptions{StateDir: t.TempDir()}, ObserverFuncs{
		Phase: func(name string) {
			if name == record.PhaseWarmup {
				mu.Lock()
				warmup = time.Now()
				mu.Unlock()
			}
		},
		Fault: func(e record.FaultEvent) {
			if e.Action == record.FaultApplied {
				once.Do(func() { close(applied) })
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if held == 0 {
		t.Fatal("no request was held across the fault's start; the test did not force the race")
	}
	v := assertions.Evaluate(rec, sc.Assertions)[0]
	fault, _ := rec.PhaseCounts(record.PhaseFault)
	if v.Status != assertions.Pass || fault.Failed < int64(held) {
		t.Errorf("%d requests held across the fault's start: warmup verdict %s (%s), fault phase %d failed; want a pass, and the held ones failed in the fault phase", held, v.Status, v.Explanation, fault.Failed)
	}
}

// TestUnsentTargetIsNamed: a target whose URL needs a value no answer captures sends nothing; the
// progress line, the record, the report and a verdict of its own (insufficient data, so the run
// fails) say which target and what it waited for. Once it sent 0 requests and nothing said so.
func TestUnsentTargetIsNamed(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("-short: no servers")
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			w.WriteHeader(http.StatusInternalServerError) // a failed create captures nothing
		}
	}))
	defer srv.Close()
	sc := readyScenario(scenarios.SUT{URL: srv.URL})
	sc.Phases = scenarios.Phases{Warmup: units.Duration(time.Second), Fault: units.Duration(1500 * time.Millisecond)}
	sc.Load.Rate = units.Rate{Freq: 20, Per: time.Second}
	sc.Load.Targets = []scenarios.LoadTarget{
		{Name: "create", Method: http.MethodPost, URL: "/blogs", Capture: map[string]units.Locator{"blog": "/id"}},
		{Name: "read-own", URL: "/blogs/{{blog}}"},
	}
	var mu sync.Mutex
	var lines []string
	rec, err := run(context.Background(), sc, RunOptions{StateDir: t.TempDir()},
		ObserverFuncs{Progress: func(p Progress) { mu.Lock(); lines = append(lines, p.String()); mu.Unlock() }})
	if err != nil {
		t.Fatal(err)
	}
	const why = "read-own: it waited for {{blog}}, which no answer captured"
	mu.Lock()
	progress := strings.Join(lines, "\n")
	mu.Unlock()
	if !strings.Contains(progress, "unsent: "+why) {
		t.Errorf("progress lines:\n%s\nwant one naming %q", progress, why)
	}
	res := judge(rec, sc.Assertions)
	v, ok := harnessVerdict(res, "target read-own sent")
	if !ok || v.Status != assertions.Insufficient || !strings.Contains(v.Explanation, "target read-own sent no request: it waited for {{blog}}") {
		t.Errorf("verdicts %+v; want target read-own sent as insufficient data saying what it waited for", res.Verdicts)
	}
	if res.Passed() {
		t.Error("the run passed; want it failed by the unsent target")
	}
	var html bytes.Buffer
	if err := (reports.HTML{}).Render(&html, reports.NewJournal(rec, res.Verdicts)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(html.String(), `<tr class="unsent"><td>read-own</td>`) || !strings.Contains(html.String(), "sent no request: it waited for {{blog}}") {
		t.Error("the report's target table does not name read-own as unsent, with why")
	}
}

func harnessVerdict(res *Result, name string) (assertions.Verdict, bool) {
	for _, v := range res.Verdicts {
		if v.Name == name {
			return v, true
		}
	}
	return assertions.Verdict{}, false
}
