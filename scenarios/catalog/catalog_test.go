package catalog_test

import (
	"fmt"
	"testing"

	"github.com/shakedown-dev/shakedown/harness"
	"github.com/shakedown-dev/shakedown/harness/harnesstest"
	"github.com/shakedown-dev/shakedown/scenarios/catalog"
	"github.com/shakedown-dev/shakedown/service"
)

// TestCatalogShort runs every catalog scenario's short form on each backend; every verdict must pass.
func TestCatalogShort(t *testing.T) {
	t.Parallel()
	names := catalog.Names()
	if len(names) < 10 {
		t.Errorf("the catalog has %d scenarios: %v; want at least the ten of the README", len(names), names)
	}
	for _, name := range names {
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
				res := harnesstest.Run(t, sc, harness.RunOptions{Backend: b, Short: true})
				harnesstest.AssertPass(t, res.Verdicts)
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
	} {
		t.Run(fmt.Sprintf("%s%v", tt.scenario, tt.args), func(t *testing.T) {
			t.Parallel()
			sc, err := catalog.Load(tt.scenario)
			if err != nil {
				t.Fatal(err)
			}
			res := harnesstest.Run(t, sc, harness.RunOptions{Backend: service.BackendLocal, Short: true, SUTArgs: tt.args})
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
