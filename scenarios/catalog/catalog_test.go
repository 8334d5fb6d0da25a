package catalog_test

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/shakedown-dev/shakedown/faults/seeded"
	"github.com/shakedown-dev/shakedown/harness"
	"github.com/shakedown-dev/shakedown/harness/harnesstest"
	"github.com/shakedown-dev/shakedown/record"
	"github.com/shakedown-dev/shakedown/scenarios"
	"github.com/shakedown-dev/shakedown/scenarios/catalog"
	"github.com/shakedown-dev/shakedown/service"
)

// run runs a scenario for the test. Its runs share harnesstest's gate: no start-up lands on
// another run's measured phases, and a run with a cpu fault measures alone.
func run(t *testing.T, sc *scenarios.Scenario, opt harness.RunOptions) *harness.Result {
	t.Helper()
	return harnesstest.Run(t, sc, opt)
}

// TestCatalogShort runs every catalog scenario's short form on each backend; every verdict must
// pass, and the local runs of the seeded scenarios make exactly their seed's decisions
// (checkSameSeed).
func TestCatalogShort(t *testing.T) {
	t.Parallel()
	names := catalog.Names()
	if len(names) < 10 {
		t.Errorf("the catalog has %d scenarios: %v; want at least the ten of docs/getting-started.md", len(names), names)
	}
	eachShortForm(t, func(t *testing.T, name, backend string, sc *scenarios.Scenario) {
		res := run(t, sc, harness.RunOptions{Backend: backend, Short: true})
		harnesstest.AssertPass(t, res.Verdicts)
		if backend == service.BackendLocal && slices.Contains(seededScenarios, name) {
			checkSameSeed(t, sc, res)
		}
	})
}

// eachShortForm runs f, in a parallel subtest name/backend, for every catalog scenario on each
// backend, with the scenario loaded; one without a short form fails.
func eachShortForm(t *testing.T, f func(t *testing.T, name, backend string, sc *scenarios.Scenario)) {
	t.Helper()
	for _, name := range catalog.Names() {
		for _, b := range harnesstest.Backends(t) {
			t.Run(name+"/"+b, func(t *testing.T) {
				t.Parallel()
				sc, err := catalog.Load(name)
				if err != nil {
					t.Fatal(err)
				}
				if sc.Short == nil {
					t.Fatalf("%s has no short form", name)
				}
				f(t, name, b, sc)
			})
		}
	}
}

// TestVerdictsCatchMissingResilience runs scenarios with a piece of agentd's resilience switched
// off (or, for the false-trip check, tuned badly): the verdict that checks it must not pass.
func TestVerdictsCatchMissingResilience(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		scenario string
		args     []string
		verdicts []string
	}{
		{"llm-down", []string{"--no-breakers"}, []string{"breaker opens and closes"}},
		{"llm-down", []string{"--no-fallback"}, []string{"no 5xx storm", "degraded answers instead"}},
		{"transient-failures", []string{"--no-retries"}, []string{"retries recover", "few degraded"}},
		{"slow-llm-bulkhead", []string{"--no-bulkheads"}, []string{"agents stay fast"}},
		{"postgres-outage", []string{"--unsafe-ack"}, []string{"no acknowledged run lost"}},
		{"postgres-outage", []string{"--shallow-ready"}, []string{"readiness reports the outage"}},
		{"llm-latency", []string{"--llm-timeout", "500ms", "--breaker-threshold", "0.05"}, []string{"no false trip"}},
		{"redis-outage", []string{"--no-breakers"}, []string{"cache breaker opens and closes"}},
		{"overload", []string{"--rate-limit", "0"}, []string{"nobody degraded"}},
		{"db-connection-failures", []string{"--no-retries"}, []string{"retries recover", "still available"}},
		{"redis-flaky", []string{"--cache-timeout", "1s"}, []string{"p95 bounded"}},
		{"transient-first-attempts", []string{"--no-retries"}, []string{"retries recover", "nobody degraded"}},
		{"slo", []string{"--no-retries", "--no-fallback"}, []string{"slo", "budget during the fault"}},
		{"llm-stream-dies", []string{"--accept-cut-answers"}, []string{"cut streams are failures"}},
	} {
		t.Run(fmt.Sprintf("%s%v", tt.scenario, tt.args), func(t *testing.T) {
			t.Parallel()
			sc, err := catalog.Load(tt.scenario)
			if err != nil {
				t.Fatal(err)
			}
			res := run(t, sc, harness.RunOptions{Backend: service.BackendLocal, Short: true, SUTArgs: tt.args})
			harnesstest.AssertFail(t, res.Verdicts, tt.verdicts...)
		})
	}
}

func TestLoadUnknown(t *testing.T) {
	t.Parallel()
	if _, err := catalog.Load("nope"); err == nil {
		t.Error("Load(nope) found a scenario")
	}
}

// seededScenarios are the scenarios whose faults are all drawn from the run's seed (per request,
// per window, per tick: a query, a command, an http and a cpu fault).
var seededScenarios = []string{"db-connection-failures", "redis-flaky", "transient-failures", "cpu-spike"}

// checkSameSeed checks a run of a seeded scenario through the whole harness.Run (TestCatalogShort
// calls it on its local runs of them, rather than running them again): each fault's decisions, as
// (seq, draw, injected) in seq order, are exactly the first ones of the fault's stream from the
// scenario's seed (faults/seeded), and not those of another seed. So any two runs with the same
// seed make the same decisions for every draw both made (how many requests reach a fault is the
// service's and the machine's: the counts may differ a little).
func checkSameSeed(t *testing.T, sc *scenarios.Scenario, res *harness.Result) {
	t.Helper()
	if len(res.Record.DecisionLog) >= record.MaxDecisions {
		t.Fatalf("%d decisions: the log is cut", len(res.Record.DecisionLog))
	}
	got := map[string][]string{}
	for _, d := range res.Record.DecisionLog {
		got[d.Fault] = append(got[d.Fault], decision(d.Seq, d.Draw, d.Injected))
	}
	if len(got) != len(sc.Faults) {
		t.Fatalf("decisions of %d faults; want all %d", len(got), len(sc.Faults))
	}
	for _, f := range sc.Faults {
		fault := f.Base().Name
		ds := got[fault]
		slices.SortFunc(ds, func(a, b string) int { return cmp.Compare(seqOf(a), seqOf(b)) })
		if len(ds) == 0 {
			t.Errorf("%s: no decision to compare", fault)
		}
		for _, seed := range []uint64{sc.Seed, sc.Seed + 1} {
			draws := seeded.NewDraws(seed, fault)
			first := -1 // the first decision that is not the stream's
			for i, d := range ds {
				if seq, draw, injected := draws.Decide(f.Base().P(), 0); d != decision(seq, draw, injected) {
					first = i
					break
				}
			}
			switch {
			case seed == sc.Seed && first >= 0:
				t.Errorf("%s: decision %d is %s; want the stream of the scenario's seed %d throughout", fault, first, ds[first], seed)
			case seed != sc.Seed && first < 0:
				t.Errorf("%s: the decisions are the stream of seed %d too; want the scenario's seed's alone", fault, seed)
			}
		}
	}
}

func decision(seq uint64, draw float64, injected bool) string {
	return fmt.Sprintf("%d:%v:%v", seq, draw, injected)
}

func seqOf(s string) int {
	n, _ := strconv.Atoi(s[:strings.IndexByte(s, ':')])
	return n
}
