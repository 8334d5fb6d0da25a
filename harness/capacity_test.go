package harness

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shakedown-dev/shakedown/record"
	"github.com/shakedown-dev/shakedown/scenarios"
)

// capacityScenario drives three replicas of testdata/replica (GET /, no Redis call) through
// rising steps of load, each held for 5 s, with the harness scraping every replica. %s are the
// binary and the steps.
const capacityScenario = `name: capacity
environment: {services: [redis], backend: local}
sut: {command: [%s], replicas: 3}
load:
  rate: 500/s
  timeout: 2s
  pacer: {type: steps, steps: [%s]}
  targets: [{url: /}]
phases: {warmup: 5s, fault: %s, recovery: 5s}
metrics: {keep: [replica_]}
`

// TestLoadCapacity measures how far one machine's load goes against three replicas: the
// highest step at which the harness sent at least 98% of the rate asked, every request
// succeeded and each second's p99 stayed at most 50ms. It runs only when SHAKEDOWN_CAPACITY is
// set (it loads the machine for about 40 s): the figure of docs/performance.md comes from
//
//	SHAKEDOWN_CAPACITY=1 go test ./harness -run TestLoadCapacity -v -count=1
//
// SHAKEDOWN_CAPACITY_STEPS overrides the steps (requests per second, comma-separated).
func TestLoadCapacity(t *testing.T) {
	if os.Getenv("SHAKEDOWN_CAPACITY") == "" {
		t.Skip("SHAKEDOWN_CAPACITY is not set: the measurement loads the machine for about 40 s")
	}
	rates := []int{500, 1000, 2000, 3000, 4000, 5000, 6000}
	if s := os.Getenv("SHAKEDOWN_CAPACITY_STEPS"); s != "" {
		rates = nil
		for _, f := range strings.Split(s, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n <= 0 {
				t.Fatalf("SHAKEDOWN_CAPACITY_STEPS=%q: %q is not a rate; want requests per second like 1000,2000", s, f)
			}
			rates = append(rates, n)
		}
	}
	if len(rates) < 3 {
		t.Fatalf("%d steps; want at least 3, to span the three phases", len(rates))
	}
	const hold = 5 * time.Second
	var steps []string
	for _, r := range rates {
		steps = append(steps, fmt.Sprintf("{rate: %d/s, duration: %s}", r, hold))
	}
	fault := time.Duration(len(rates))*hold - 10*time.Second // the steps span the three phases
	sc, err := scenarios.Parse("capacity.yaml", fmt.Appendf(nil, capacityScenario, buildReplica(t), strings.Join(steps, ", "), fault))
	if err != nil {
		t.Fatal(err)
	}
	rec, err := run(context.Background(), sc, RunOptions{StateDir: t.TempDir()}, sutOutput(&syncBuffer{}))
	if err != nil {
		t.Fatal(err)
	}
	load, _ := os.ReadFile("/proc/loadavg")
	t.Logf("%d CPUs (GOMAXPROCS %d), load average before the end: %s", runtime.NumCPU(), runtime.GOMAXPROCS(0), strings.TrimSpace(string(load)))
	t.Logf("%8s %10s %8s %8s %8s", "asked/s", "sent/s", "failed", "p50 max", "p99 max")
	start := rec.Phases[0].Start
	best, sustained := 0, true
	for i, r := range rates {
		// The seconds wholly inside the step, less its first (the pacer's ramp) and last.
		from := start + record.Duration(time.Duration(i)*hold)
		var n, failed int64
		var secs int
		var p50, p99 record.Duration
		for _, s := range rec.Seconds {
			if s.At < from+record.Duration(time.Second) || s.At+record.Duration(time.Second) > from+record.Duration(hold-time.Second) {
				continue
			}
			secs++
			n += s.Requests
			failed += s.Failed
			p50, p99 = max(p50, s.P50), max(p99, s.P99)
		}
		if secs == 0 {
			continue
		}
		sent := float64(n) / float64(secs)
		ok := sent >= 0.98*float64(r) && failed == 0 && p99.D() <= 50*time.Millisecond
		mark := ""
		if ok {
			mark = "  ok"
		}
		if sustained = sustained && ok; sustained {
			best = r
		}
		t.Logf("%8d %10.0f %8d %8s %8s%s", r, sent, failed, p50.D().Round(10*time.Microsecond), p99.D().Round(10*time.Microsecond), mark)
	}
	t.Logf("highest step sustained (>= 98%% of the rate sent, no failure, p99 <= 50ms in every second): %d/s", best)
}
