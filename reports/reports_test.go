package reports

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shakedown-dev/shakedown/assertions"
	"github.com/shakedown-dev/shakedown/record"
)

var update = flag.Bool("update", false, "rewrite the golden files")

const sec = record.Duration(time.Second)

// sample is a fixed run: 30 s at 10 req/s, an LLM fault from 10 s to 20 s during which 3 in 10
// answers are degraded and 1 in 10 a 503, the ollama breaker open from 12 s to 22 s, retries,
// and a scenario whose name and source carry markup and secrets.
func sample() *Journal {
	started := time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)
	r := &record.Record{Version: record.SchemaVersion, Seed: 42, Started: started, Duration: 30 * sec, Status: record.StatusCompleted,
		Scenario: record.ScenarioInfo{Name: "<script>alert(1)</script>", Description: "LLM down & <b>degraded</b>", File: "x.yaml",
			Source: "sut: {url: \"postgres://app:hunter2@db:5432/x\"}\nheaders: {Authorization: Bearer abc.def}\n"},
		Command: "shakedown run x.yaml --seed 42",
		Scrape:  &record.ScrapeStats{URL: "http://127.0.0.1:8080/metrics", Attempts: 30, Failed: 2, LastError: "GET http://127.0.0.1:8080/metrics: 401 Unauthorized"},
		Env: record.EnvInfo{Backend: "local", SUT: "builtin agentd --admin-token s3cret", Versions: map[string]string{"go": "go1.26.8"},
			Services: []record.ServiceInfo{{Name: "ollama", Version: "mock 0.17.4", Proxied: "127.0.0.1:4000"}}},
		Latency: map[string]*record.Histogram{},
	}
	r.Phases = []record.Phase{{Name: "warmup", Start: 0, End: 10 * sec, Rate: 10}, {Name: "fault", Start: 10 * sec, End: 20 * sec, Rate: 10}, {Name: "recovery", Start: 20 * sec, End: 30 * sec, Rate: 10}}
	state := record.Series{Name: "resilience_circuit_breaker_state", Labels: map[string]string{"name": "ollama"}}
	retries := record.Series{Name: "resilience_retry_attempts_total", Labels: map[string]string{"name": "ollama"}}
	total := 0.0
	for s := record.Duration(0); s < 30*sec; s += sec {
		c := record.Counts{Requests: 10, OK: 10}
		p50, p99 := 5*time.Millisecond, 20*time.Millisecond
		if s >= 10*sec && s < 20*sec {
			c.OK, c.Server, c.Failed, c.Failed5xx, c.Degraded = 9, 1, 1, 1, 3
			p99 = 900 * time.Millisecond
			total += 2
		}
		r.Seconds = append(r.Seconds, record.Second{At: s, Counts: c, P50: record.Duration(p50), P90: record.Duration(p99 / 2), P95: record.Duration(p99 / 2), P99: record.Duration(p99), Max: record.Duration(p99)})
		v := 0.0
		if s >= 12*sec && s < 22*sec {
			v = 1
		}
		state.Points = append(state.Points, record.Point{At: s, Value: v})
		retries.Points = append(retries.Points, record.Point{At: s, Value: total})
		ph := &r.Phases[s/(10*sec)]
		ph.Counts.Add(c)
	}
	r.Series = []record.Series{state, retries}
	r.Faults = []record.FaultEvent{
		{At: 10 * sec, Fault: "llm-down", Kind: "http", Target: "ollama", Action: record.FaultApplied, Detail: "window 0"},
		{At: 20 * sec, Fault: "llm-down", Kind: "http", Target: "ollama", Action: record.FaultRemoved, Detail: "100 requests decided, 100 injected"},
	}
	r.Decisions = []record.DecisionSummary{{Fault: "llm-down", Unit: "request", Total: 100, Injected: 100, Digest: "00000000deadbeef"}}
	h := &record.Histogram{}
	for i := range 100 {
		h.Record(time.Duration(i+1) * time.Millisecond)
	}
	runs := &record.TargetStats{
		Counts:  map[string]record.Counts{"warmup": {Requests: 50, OK: 50}, "fault": {Requests: 50, OK: 30, Client: 20, Failed: 20, Failed4xx: 20}},
		Latency: map[string]*record.Histogram{"fault": h}}
	health := &record.TargetStats{Counts: map[string]record.Counts{"warmup": {Requests: 50, OK: 50}, "fault": {Requests: 50, OK: 50}}}
	for s := range 20 {
		c := record.Counts{Requests: 5, OK: 5}
		health.Seconds = append(health.Seconds, c)
		if s >= 10 {
			c = record.Counts{Requests: 5, OK: 3, Client: 2, Failed: 2, Failed4xx: 2}
		}
		runs.Seconds = append(runs.Seconds, c)
	}
	r.Targets = map[string]*record.TargetStats{"<runs>": runs, "health": health}
	at := 12 * sec
	verdicts := []assertions.Verdict{
		{Name: "breaker opens", Kind: "breaker", Phase: "all", Status: assertions.Pass, Expected: "open within 3s", Measured: "opened 2s after it", Samples: 30, At: &at, Explanation: "breaker opens during all: opened 2s after it"},
		{Name: "no 5xx <storm>", Kind: "availability", Phase: "fault", Status: assertions.Fail, Expected: "at least 99%", Measured: "90% available", Samples: 100, Explanation: "no 5xx <storm> during fault: measured 90% available over 100 samples; want at least 99%"},
		{Name: "few samples", Kind: "latency", Phase: "warmup", Status: assertions.Insufficient, Expected: "at most 1s", Measured: "p95 5ms", Samples: 3, Explanation: "only 3 samples"},
	}
	return NewJournal(r, verdicts)
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test ./reports -run Golden -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from its golden file; run go test ./reports -run Golden -update and review the diff", name)
	}
}

func TestGolden(t *testing.T) {
	t.Parallel()
	j := sample()
	for _, r := range Renderers() {
		var b bytes.Buffer
		if err := r.Render(&b, j); err != nil {
			t.Fatalf("%T: %v", r, err)
		}
		golden(t, r.File()+".golden", b.Bytes())
	}
}

// TestHTMLEscapesAndRedacts: markup from the scenario renders as text, and no secret appears in
// any rendering.
func TestHTMLEscapesAndRedacts(t *testing.T) {
	t.Parallel()
	j := sample()
	for _, r := range Renderers() {
		var b bytes.Buffer
		if err := r.Render(&b, j); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		for _, secret := range []string{"hunter2", "abc.def", "s3cret"} {
			if strings.Contains(out, secret) {
				t.Errorf("%s shows the secret %q", r.File(), secret)
			}
		}
		if _, isHTML := r.(HTML); !isHTML {
			continue
		}
		if strings.Contains(out, "<script") || strings.Contains(out, "<b>degraded") || strings.Contains(out, "<storm>") {
			t.Error("the HTML report carries markup from the scenario or the verdicts unescaped")
		}
		for _, want := range []string{"&lt;script&gt;alert(1)&lt;/script&gt;", "postgres://app:***@db:5432/x", "--admin-token ***", `<svg class="chart"`, "Content-Security-Policy"} {
			if !strings.Contains(out, want) {
				t.Errorf("the HTML report lacks %q", want)
			}
		}
	}
}

func TestJournalRoundTrip(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	if err := sample().WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	j, err := ReadJournal(&b)
	if err != nil {
		t.Fatal(err)
	}
	if j.Record.Seed != 42 || len(j.Verdicts) != 3 || j.Status() != "fail" {
		t.Errorf("read back: seed %d, %d verdicts, status %s", j.Record.Seed, len(j.Verdicts), j.Status())
	}
	if _, err := ReadJournal(strings.NewReader(`{"version": 99, "record": {}}`)); err == nil || !strings.Contains(err.Error(), "version 99") {
		t.Errorf("another version: %v", err)
	}
	in := fmt.Sprintf(`{"version": %d, "record": {"version": 99}}`, JournalVersion)
	if _, err := ReadJournal(strings.NewReader(in)); err == nil || !strings.Contains(err.Error(), "record has schema version 99") {
		t.Errorf("a record of another version in a journal of this one: %v", err)
	}
}

// TestIndex: two runs of a scenario; the index lists both, newest first, and says what changed.
func TestIndex(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	old, cur := sample(), sample()
	old.Verdicts[1].Status, old.Verdicts[2].Status = assertions.Pass, assertions.Pass
	cur.Record.Started = cur.Record.Started.Add(24 * time.Hour)
	for i, j := range []*Journal{old, cur} {
		if _, err := WriteAll(filepath.Join(dir, []string{"a", "b"}[i]), j); err != nil {
			t.Fatal(err)
		}
	}
	p, n, err := WriteIndex(dir)
	if err != nil || n != 2 {
		t.Fatalf("WriteIndex: %d runs, %v", n, err)
	}
	b, _ := os.ReadFile(p)
	out := string(b)
	for _, want := range []string{"no 5xx &lt;storm&gt;: pass → fail", "the run: pass → fail", `href="b/report.html"`, `href="a/report.html"`} {
		if !strings.Contains(out, want) {
			t.Errorf("the index lacks %q", want)
		}
	}
	if strings.Index(out, "b/report.html") > strings.Index(out, "a/report.html") {
		t.Error("the index does not list the newest run first")
	}
	golden(t, "index.html.golden", []byte(strings.ReplaceAll(out, dir, "DIR")))
}

// TestReportSaysWhatWasRecorded: without recorded decisions (a mock in a container counts its
// own) the report promises no digests, and says where the decisions are counted.
func TestReportSaysWhatWasRecorded(t *testing.T) {
	t.Parallel()
	j := sample()
	j.Record.Decisions = nil
	var b bytes.Buffer
	if err := (HTML{}).Render(&b, j); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	if strings.Contains(page, "the digests of two runs with one seed are equal") || !strings.Contains(page, "No decision was recorded in this process") ||
		!strings.Contains(page, "A mock in a container draws its per-request decisions there") {
		t.Error("a report without recorded decisions promises digests, or does not say where the decisions are counted")
	}
}

// TestNoEmptyCharts: a service without the resilience core's metrics and with no degraded answer
// gets the requests and latency charts only, not empty breaker and retry charts.
func TestNoEmptyCharts(t *testing.T) {
	t.Parallel()
	j := sample()
	j.Record.Series = nil
	for i := range j.Record.Seconds {
		j.Record.Seconds[i].Degraded = 0
	}
	var b bytes.Buffer
	if err := (HTML{}).Render(&b, j); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(b.String(), `<svg class="chart"`); n != 4 {
		t.Errorf("%d charts; want 4 (requests, one per target, latency)", n)
	}
}

// TestTargetCharts: with more than one named target, each has its requests chart, so the 4xx of
// one endpoint are seen as its own; with one, its chart would be the chart of every request.
func TestTargetCharts(t *testing.T) {
	t.Parallel()
	charts := targetCharts(sample().Record, nil)
	if len(charts) != 2 || !strings.Contains(charts[0], "requests per second to &lt;runs&gt; by outcome") || !strings.Contains(charts[1], "to health by outcome") {
		t.Fatalf("%d target charts; want one for <runs> (escaped) and one for health", len(charts))
	}
	if !strings.Contains(charts[0], ">12s: 2 4xx") || strings.Contains(charts[1], "4xx") || strings.Contains(charts[0], ">5s: 2 4xx") {
		t.Errorf("want <runs>'s 4xx in the fault's seconds only, and none in health's chart:\n%s", charts[0])
	}
	one := sample().Record
	delete(one.Targets, "health")
	if c := targetCharts(one, nil); c != nil {
		t.Errorf("one named target: %d charts; want none", len(c))
	}
}

// TestBreakerChartOfAnotherLibrary: a breaker series a verdict maps (gobreaker's: 2 open, 1
// half-open) is drawn with the core's, in its own states' colours.
func TestBreakerChartOfAnotherLibrary(t *testing.T) {
	t.Parallel()
	r := sample().Record
	r.Breakers = []record.BreakerMapping{{Series: "shop_cache_breaker_state", Label: "breaker", Open: []float64{2}, Closed: []float64{0}}}
	r.Series = append(r.Series, record.Series{Name: "shop_cache_breaker_state", Labels: map[string]string{"breaker": "cache"},
		Points: []record.Point{{At: 0, Value: 0}, {At: 12 * sec, Value: 2}, {At: 14 * sec, Value: 1}, {At: 15 * sec, Value: 0}}})
	c := breakersChart(r, nil)
	for _, want := range []string{">cache</text>", "<title>cache open from 12s</title>", "<title>cache half-open from 14s</title>", "<title>cache closed from 15s</title>", "<title>ollama open from 12s</title>"} {
		if !strings.Contains(c, want) {
			t.Errorf("the breakers chart lacks %q", want)
		}
	}
	r.Breakers = nil
	if c := breakersChart(r, nil); strings.Contains(c, ">cache</text>") {
		t.Error("a series no verdict maps is drawn as a breaker")
	}
}
