package record

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestHistogramQuantileWithinOnePercent compares every quantile with the exact one of the same
// values sorted.
func TestHistogramQuantileWithinOnePercent(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	var h Histogram
	vals := make([]time.Duration, 20000)
	for i := range vals {
		// log-uniform from 10µs to 10s
		vals[i] = time.Duration(1e4 * math.Pow(1e6, rng.Float64()))
		h.Record(vals[i])
	}
	slices.Sort(vals)
	for _, q := range []float64{0.01, 0.5, 0.9, 0.95, 0.99, 0.999, 1} {
		exact := vals[int(math.Ceil(q*float64(len(vals))))-1]
		got := h.Quantile(q)
		if rel := math.Abs(float64(got-exact)) / float64(exact); rel > 0.0101 {
			t.Errorf("Quantile(%v) = %v; exact %v (relative error %.4f > 1%%)", q, got, exact, rel)
		}
	}
	if h.Count() != 20000 || h.Max() != vals[len(vals)-1] || h.Min() != vals[0] {
		t.Errorf("Count, Min, Max = %d, %v, %v; want 20000, %v, %v", h.Count(), h.Min(), h.Max(), vals[0], vals[len(vals)-1])
	}
}

func TestHistogramJSONRoundTrip(t *testing.T) {
	t.Parallel()
	var h Histogram
	for _, d := range []time.Duration{0, 500 * time.Nanosecond, time.Millisecond, 3 * time.Millisecond, time.Hour} {
		h.Record(d)
	}
	b, err := h.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	var back Histogram
	if err := back.UnmarshalJSON(b); err != nil {
		t.Fatalf("UnmarshalJSON(%s): %v", b, err)
	}
	for _, q := range []float64{0, .2, .5, .8, 1} {
		if h.Quantile(q) != back.Quantile(q) {
			t.Errorf("after round trip Quantile(%v) = %v; want %v", q, back.Quantile(q), h.Quantile(q))
		}
	}
	if err := back.UnmarshalJSON([]byte(`{"total":2,"buckets":[[1,1]]}`)); err == nil || !strings.Contains(err.Error(), "total says 2") {
		t.Errorf("inconsistent histogram: error = %v; want a count mismatch", err)
	}
}

func TestHistogramCountAtMost(t *testing.T) {
	t.Parallel()
	var h Histogram
	for i := 1; i <= 100; i++ {
		h.Record(time.Duration(i) * 10 * time.Millisecond) // 10ms .. 1s
	}
	if got := h.CountAtMost(500 * time.Millisecond); got < 50 || got > 51 {
		t.Errorf("CountAtMost(500ms) = %d; want 50 (51 with the bucket)", got)
	}
	if got := h.CountAtMost(2 * time.Second); got != 100 {
		t.Errorf("CountAtMost(2s) = %d; want 100", got)
	}
}

func TestRecorderSecondsAndPhases(t *testing.T) {
	t.Parallel()
	start := time.Now()
	r := NewRecorder(start.Add(-3*time.Second), ScenarioInfo{Name: "t"}, 7)
	// Fake the phases at fixed offsets: warmup [0,1s), fault [1s,3s).
	r.rec.Phases = []Phase{{Name: "warmup", Start: 0, End: Duration(time.Second)}, {Name: "fault", Start: Duration(time.Second), End: -1}}
	base := r.Start()
	r.AddResult(Result{At: base.Add(100 * time.Millisecond), Latency: 10 * time.Millisecond, Code: 200})
	r.AddResult(Result{At: base.Add(1100 * time.Millisecond), Latency: 20 * time.Millisecond, Code: 503})
	r.AddResult(Result{At: base.Add(1200 * time.Millisecond), Latency: time.Second, Error: true, Timeout: true})
	r.AddResult(Result{At: base.Add(2500 * time.Millisecond), Latency: 30 * time.Millisecond, Code: 200, Degraded: true})
	rec := r.Finish(StatusCompleted, nil)

	if len(rec.Seconds) != 3 {
		t.Fatalf("len(Seconds) = %d; want 3", len(rec.Seconds))
	}
	if s := rec.Seconds[1]; s.Requests != 2 || s.Server != 1 || s.Errors != 1 || s.Timeouts != 1 || s.Max != Duration(time.Second) {
		t.Errorf("Seconds[1] = %+v; want 2 requests, 1 server error, 1 timeout, max 1s", s)
	}
	fault, _ := rec.PhaseCounts("fault")
	if fault.Requests != 3 || fault.Good() != 1 || fault.Degraded != 1 {
		t.Errorf("PhaseCounts(fault) = %+v; want 3 requests, 1 good, 1 degraded", fault)
	}
	if got := rec.Latency["warmup"].Count(); got != 1 {
		t.Errorf("warmup histogram count = %d; want 1", got)
	}
	if got := rec.Latency[PhaseAll].Count(); got != 4 {
		t.Errorf("all histogram count = %d; want 4", got)
	}
	if p := rec.Phases[1]; p.End <= p.Start {
		t.Errorf("open phase not ended by Finish: %+v", p)
	}
}

func TestFaultWindows(t *testing.T) {
	t.Parallel()
	rec := &Record{Duration: Duration(10 * time.Second), Faults: []FaultEvent{
		{At: Duration(time.Second), Fault: "a", Action: FaultApplied},
		{At: Duration(2 * time.Second), Fault: "b", Action: FaultApplied},
		{At: Duration(3 * time.Second), Fault: "a", Action: FaultRemoved},
		{At: Duration(4 * time.Second), Fault: "a", Action: FaultApplied},
	}}
	got := rec.FaultWindows()
	want := []Window{
		{Fault: "a", Start: Duration(time.Second), End: Duration(3 * time.Second)},
		{Fault: "b", Start: Duration(2 * time.Second), End: Duration(10 * time.Second)},
		{Fault: "a", Start: Duration(4 * time.Second), End: Duration(10 * time.Second)},
	}
	if !slices.Equal(got, want) {
		t.Errorf("FaultWindows() = %+v; want %+v", got, want)
	}
}

// TestDecisionDigestIgnoresOrder pins that concurrent faults give the same digest in any order.
func TestDecisionDigestIgnoresOrder(t *testing.T) {
	t.Parallel()
	ds := make([]Decision, 100)
	for i := range ds {
		ds[i] = Decision{Fault: "f", Unit: "request", Seq: uint64(i), Draw: float64(i) / 100, Injected: i%3 == 0}
	}
	digest := func(order []Decision) DecisionSummary {
		r := NewRecorder(time.Now(), ScenarioInfo{}, 1)
		for _, d := range order {
			r.AddDecision(d)
		}
		return r.Finish(StatusCompleted, nil).Decisions[0]
	}
	a := digest(ds)
	rev := slices.Clone(ds)
	slices.Reverse(rev)
	b := digest(rev)
	if a.Digest != b.Digest || a.Total != 100 || a.Injected != 34 {
		t.Errorf("digests %+v and %+v; want equal, 100 total, 34 injected", a, b)
	}
	ds[5].Injected = !ds[5].Injected
	if c := digest(ds); c.Digest == a.Digest {
		t.Errorf("changing one decision kept digest %s", c.Digest)
	}
}

func TestRecordJSONRoundTrip(t *testing.T) {
	t.Parallel()
	r := NewRecorder(time.Now(), ScenarioInfo{Name: "rt"}, 42)
	r.BeginPhase("warmup", 100)
	r.AddResult(Result{At: time.Now(), Latency: time.Millisecond, Code: 200})
	r.AddSample(Duration(time.Second), "resilience_circuit_breaker_state", map[string]string{"name": "ollama"}, 1)
	r.AddFaultEvent(FaultEvent{Fault: "lat", Kind: "latency", Target: "redis", Action: FaultApplied})
	rec := r.Finish(StatusAborted, errString("interrupted"))
	b, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	var back *Record
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("Unmarshal: %v", err)
	}
	if back.Seed != 42 || back.Status != StatusAborted || back.Error != "interrupted" || back.Latency["warmup"].Count() != 1 ||
		len(back.FindSeries("resilience_circuit_breaker_state", map[string]string{"name": "ollama"})) != 1 ||
		!slices.Equal(back.Env.Touched, []string{"redis"}) {
		t.Errorf("read back %+v", back)
	}
}

type errString string

func (e errString) Error() string { return string(e) }

func TestRecorderConcurrent(t *testing.T) {
	t.Parallel()
	r := NewRecorder(time.Now(), ScenarioInfo{}, 1)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 1000 {
				r.AddResult(Result{At: r.Start().Add(time.Duration(i) * time.Millisecond), Latency: time.Millisecond, Code: 200})
				r.AddDecision(Decision{Fault: "f", Seq: uint64(g*1000 + i)})
			}
		})
	}
	wg.Wait()
	rec := r.Finish(StatusCompleted, nil)
	if c := rec.CountsBetween(0, rec.Duration+Duration(time.Second)); c.Requests != 8000 {
		t.Errorf("requests = %d; want 8000", c.Requests)
	}
	if rec.Decisions[0].Total != 8000 {
		t.Errorf("decisions = %d; want 8000", rec.Decisions[0].Total)
	}
}

// TestInFlightAtTheFaultCountsInTheFault: a request sent in the warmup and answered once the fault
// phase began counts in the fault phase; one answered before it, and one sent in the fault phase
// and answered in the recovery, count where they were sent.
func TestInFlightAtTheFaultCountsInTheFault(t *testing.T) {
	t.Parallel()
	start := time.Now()
	r := NewRecorder(start.Add(-4*time.Second), ScenarioInfo{Name: "t"}, 7)
	sec := Duration(time.Second)
	r.rec.Phases = []Phase{{Name: PhaseWarmup, Start: 0, End: sec}, {Name: PhaseFault, Start: sec, End: 3 * sec}, {Name: PhaseRecovery, Start: 3 * sec, End: -1}}
	base := r.Start()
	r.AddResult(Result{At: base.Add(500 * time.Millisecond), Latency: 100 * time.Millisecond, Code: 200})  // warmup
	r.AddResult(Result{At: base.Add(982 * time.Millisecond), Latency: 40 * time.Millisecond, Code: 503})   // straddles: fault
	r.AddResult(Result{At: base.Add(2900 * time.Millisecond), Latency: 300 * time.Millisecond, Code: 503}) // fault, answered in recovery: fault
	r.AddResult(Result{At: base.Add(3100 * time.Millisecond), Latency: 10 * time.Millisecond, Code: 200})  // recovery
	rec := r.Finish(StatusCompleted, nil)
	for _, tt := range []struct {
		phase            string
		requests, failed int64
	}{{PhaseWarmup, 1, 0}, {PhaseFault, 2, 2}, {PhaseRecovery, 1, 0}} {
		if c, _ := rec.PhaseCounts(tt.phase); c.Requests != tt.requests || c.Failed != tt.failed {
			t.Errorf("PhaseCounts(%s) = %d requests, %d failed; want %d, %d", tt.phase, c.Requests, c.Failed, tt.requests, tt.failed)
		}
	}
	if s := rec.Seconds[0]; s.Requests != 2 { // the seconds stay by the time a request was sent
		t.Errorf("Seconds[0] = %d requests; want 2 (both sent in it)", s.Requests)
	}
}
