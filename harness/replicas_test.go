package harness

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/shakedown-dev/shakedown/assertions"
	"github.com/shakedown-dev/shakedown/record"
	"github.com/shakedown-dev/shakedown/reports"
	"github.com/shakedown-dev/shakedown/scenarios"
)

// buildReplica builds testdata/replica, the small service of the replica tests.
func buildReplica(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "replica")
	if out, err := exec.Command("go", "build", "-o", bin, "./testdata/replica").CombinedOutput(); err != nil {
		t.Fatalf("go build ./testdata/replica: %v\n%s", err, out)
	}
	return bin
}

// replicaScenario runs three replicas of testdata/replica from a port on, of which only replica 2
// reads Redis behind its breaker, and takes Redis's proxy down for 2 s: one breaker of three
// opens. %s are the binary, the first port and the metrics block.
const replicaScenario = `name: replicas
environment: {services: [redis], backend: local}
sut:
  command: [%s]
  replicas: 3
  port: %d
  env: {REPLICA: "{{replica}}", REDIS_REPLICA: "2"}
load: {rate: 60/s, targets: [{url: /}], timeout: 2s}
phases: {warmup: 2s, fault: 3s, recovery: 3s}
faults:
  - {name: redis-down, type: proxy_down, target: redis, start: 500ms, duration: 2s}
assertions:
  - {name: one-breaker-opens, type: breaker, breaker: redis, fault: redis-down, opens_within: 3s, closes_within: 3s}
  - {name: all-answer-in-warmup, type: availability, phase: warmup, min: 99%%}
  - {name: two-of-three-answer, type: availability, phase: fault, min: 50%%}
  - {name: refusals-counted, type: metric, metric: replica_requests_total, labels: {code: "503"}, op: increase_at_least, value: 5}
%s
`

// TestReplicasAcrossSources runs three replicas of a small service, one of whose breakers a fault
// on Redis opens, with each metrics source: the harness scraping every replica, and a real
// Prometheus scraping them every second. Both records have the same shape: the series across the
// replicas (the breaker open, as the worst replica's; the counters summed) that every verdict
// reads, and each replica's own series by instance, which the report shows.
func TestReplicasAcrossSources(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("-short: no servers")
	}
	bin := buildReplica(t)
	var mu sync.Mutex
	recs := map[string]*record.Record{}
	t.Run("sources", func(t *testing.T) {
		for _, source := range []string{record.SourceScrape, record.SourcePrometheus} {
			t.Run(source, func(t *testing.T) {
				t.Parallel()
				port := freePorts(t, 3)
				metrics := "metrics: {keep: [replica_]}"
				if source == record.SourcePrometheus {
					url := startPrometheus(t, []string{fmt.Sprintf("127.0.0.1:%d", port), fmt.Sprintf("127.0.0.1:%d", port+1), fmt.Sprintf("127.0.0.1:%d", port+2)})
					metrics = fmt.Sprintf(`metrics: {keep: [replica_], source: prometheus, prometheus: {url: %q, selector: '{job="shop"}', step: 1s, wait: 20s}}`, url)
				}
				sc, err := scenarios.Parse("replicas.yaml", fmt.Appendf(nil, replicaScenario, bin, port, metrics))
				if err != nil {
					t.Fatal(err)
				}
				out := &syncBuffer{}
				rec, err := run(context.Background(), sc, RunOptions{StateDir: t.TempDir()}, sutOutput(out))
				if err != nil {
					t.Fatalf("Run: %v\nthe replicas' output:\n%s", err, out)
				}
				checkReplicaRun(t, sc, rec, port, source)
				if t.Failed() {
					t.Logf("the replicas' output:\n%s", out)
				}
				mu.Lock()
				recs[source] = rec
				mu.Unlock()
			})
		}
	})
	a, b := recs[record.SourceScrape], recs[record.SourcePrometheus]
	if a == nil || b == nil {
		return
	}
	// The instances differ between the runs (their ports): compare the replicas by their number.
	keys := func(rec *record.Record, ss []record.Series) []string {
		var out []string
		for _, s := range ss {
			l := maps.Clone(s.Labels)
			if in, ok := l[record.InstanceLabel]; ok {
				l[record.InstanceLabel] = fmt.Sprintf("replica %d", slices.Index(rec.Instances(), in))
			}
			out = append(out, record.SeriesKey(s.Name, l))
		}
		slices.Sort(out)
		return out
	}
	if ka, kb := keys(a, a.Series), keys(b, b.Series); !slices.Equal(ka, kb) {
		t.Errorf("the series across replicas differ by source:\n  scrape:     %v\n  prometheus: %v", ka, kb)
	}
	if ka, kb := keys(a, a.ReplicaSeries), keys(b, b.ReplicaSeries); !slices.Equal(ka, kb) {
		t.Errorf("the replicas' series differ by source:\n  scrape:     %v\n  prometheus: %v", ka, kb)
	}
}

// checkReplicaRun checks one run of replicaScenario: every verdict passes; the record names the
// three replicas; only replica 2's own breaker opened, and so did the breaker across them; each
// counter across replicas is the sum of the replicas' at every instant; the load reached each
// replica alike; the report shows each replica's breaker.
func checkReplicaRun(t *testing.T, sc *scenarios.Scenario, rec *record.Record, port int, source string) {
	t.Helper()
	for _, v := range assertions.Evaluate(rec, sc.Assertions) {
		t.Logf("%s: %s: %s", v.Name, v.Status, v.Measured)
		if !v.Passed() {
			t.Errorf("verdict %s: %s; expected %s, measured %s (%s)", v.Name, v.Status, v.Expected, v.Measured, v.Explanation)
		}
		if want := fmt.Sprintf("open on 1 of its 3 replicas: 127.0.0.1:%d", port+2); v.Kind == "breaker" && !strings.Contains(v.Measured, want) {
			t.Errorf("verdict %s: measured %q; want it to say %q", v.Name, v.Measured, want)
		}
	}
	instance := func(i int) string { return fmt.Sprintf("127.0.0.1:%d", port+i) }
	if got, want := rec.Instances(), []string{instance(0), instance(1), instance(2)}; !slices.Equal(got, want) {
		t.Errorf("Instances() = %v; want %v", got, want)
	}
	if len(rec.Env.Replicas) != 3 || rec.Env.Replicas[2] != "http://"+instance(2) {
		t.Errorf("Env.Replicas = %v; want the three replicas' base URLs", rec.Env.Replicas)
	}
	if st := rec.Scrape; st == nil || st.Source != source || len(st.Instances) != 3 {
		t.Errorf("Scrape = %+v; want source %s and the three instances", st, source)
	}
	opened := func(ss []record.Series) bool {
		return slices.ContainsFunc(ss, func(s record.Series) bool {
			return slices.ContainsFunc(s.Points, func(p record.Point) bool { return p.Value == record.BreakerOpen.Value() })
		})
	}
	for i := range 3 {
		own := filterSeries(rec.ReplicaSeries, record.BreakerSeries, map[string]string{"name": "redis", record.InstanceLabel: instance(i)})
		if len(own) != 1 {
			t.Errorf("replica %d: %d breaker series; want 1", i, len(own))
		} else if opened(own) != (i == 2) {
			t.Errorf("replica %d's breaker opened: %v; want only replica 2's to open", i, opened(own))
		}
	}
	if !opened(rec.FindSeries(record.BreakerSeries, map[string]string{"name": "redis"})) {
		t.Errorf("the breaker across replicas never opened, though replica 2's did")
	}
	// Each counter across replicas is, at every instant, the sum of the replicas'.
	per := map[string]map[record.Duration]float64{} // the key across replicas -> instant -> sum
	for _, s := range rec.ReplicaSeries {
		l := maps.Clone(s.Labels)
		delete(l, record.InstanceLabel)
		k := record.SeriesKey(s.Name, l)
		if per[k] == nil {
			per[k] = map[record.Duration]float64{}
		}
		for _, p := range s.Points {
			per[k][p.At] += p.Value
		}
	}
	for _, s := range rec.Series {
		if s.Name != "replica_requests_total" {
			continue
		}
		for _, p := range s.Points {
			if want := per[s.Key()][p.At]; p.Value != want {
				t.Errorf("%s at %s = %g across replicas; want %g, the replicas' sum", s.Key(), p.At.D(), p.Value, want)
				break
			}
		}
	}
	// The load went round-robin: each replica answered about a third (GET / is every request).
	total, counted := 0.0, map[string]float64{}
	for _, s := range filterSeries(rec.ReplicaSeries, "replica_requests_total", nil) {
		v := s.Points[len(s.Points)-1].Value
		counted[s.Labels[record.InstanceLabel]] += v
		total += v
	}
	for i := range 3 {
		if share := counted[instance(i)] / total; share < 0.3 || share > 0.37 {
			t.Errorf("replica %d answered %.0f of %.0f requests (%.0f%%); want a third", i, counted[instance(i)], total, 100*share)
		}
	}
	if sent := float64(rec.Phases[0].Counts.Requests + rec.Phases[1].Counts.Requests + rec.Phases[2].Counts.Requests); total > sent || total < sent/2 {
		t.Errorf("the replicas counted %.0f answers; the load sent %.0f", total, sent)
	}
	var page bytes.Buffer
	if err := (reports.HTML{}).Render(&page, reports.NewJournal(rec, assertions.Evaluate(rec, sc.Assertions))); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if want := "redis @ " + instance(i); !strings.Contains(page.String(), want) {
			t.Errorf("the report does not show %q", want)
		}
	}
}

// filterSeries returns the series of ss with the given name whose labels include match.
func filterSeries(ss []record.Series, name string, match map[string]string) []record.Series {
	r := record.Record{Series: ss}
	return r.FindSeries(name, match)
}
