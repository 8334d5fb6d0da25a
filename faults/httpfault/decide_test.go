package httpfault

import (
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"go.uber.org/goleak"

	"github.com/shakedown-dev/shakedown/units"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// decisions serves n sequential requests to path through an injector with faults and returns
// every decision, in order.
func decisions(t *testing.T, seed uint64, faults []Fault, n int, path string) []Decision {
	t.Helper()
	var mu sync.Mutex
	var out []Decision
	in, err := New(Config{Seed: seed, Faults: faults, OnDecision: func(d Decision) {
		mu.Lock()
		defer mu.Unlock()
		out = append(out, d)
	}})
	if err != nil {
		t.Fatal(err)
	}
	h := in.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	for range n {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", path, nil))
	}
	return out
}

// injectedOf renders one fault's decisions as "seq:injected ...".
func injectedOf(ds []Decision, fault string) string {
	var b strings.Builder
	for _, d := range ds {
		if d.Fault == fault {
			fmt.Fprintf(&b, "%d:%v ", d.Seq, d.Injected)
		}
	}
	return b.String()
}

func TestSameSeedSameDecisions(t *testing.T) {
	t.Parallel()
	f := Fault{Name: "flaky", Probability: 0.3, Action: Action{Kind: KindError}}
	a := decisions(t, 42, []Fault{f}, 200, "/api/chat")
	b := decisions(t, 42, []Fault{f}, 200, "/api/chat")
	c := decisions(t, 43, []Fault{f}, 200, "/api/chat")
	if injectedOf(a, "flaky") != injectedOf(b, "flaky") {
		t.Errorf("seed 42 twice gave two decision sequences:\n%s\n%s", injectedOf(a, "flaky"), injectedOf(b, "flaky"))
	}
	if injectedOf(a, "flaky") == injectedOf(c, "flaky") {
		t.Error("seeds 42 and 43 gave the same decision sequence")
	}
	for i := range a {
		if a[i].Draw != b[i].Draw || a[i].Seq != uint64(i) {
			t.Fatalf("decision %d: draw %v vs %v, seq %d; want equal draws and seq %d", i, a[i].Draw, b[i].Draw, a[i].Seq, i)
		}
	}
	// Another fault draws from its own stream: adding it changes nothing for "flaky".
	d := decisions(t, 42, []Fault{{Name: "slow", Probability: 0.5, Action: Action{Kind: KindLatency, Delay: 1}}, f}, 200, "/api/chat")
	if injectedOf(a, "flaky") != injectedOf(d, "flaky") {
		t.Error("adding a fault changed another fault's decisions")
	}
}

// TestInjectedShareWithinBound: over n = 10,000 seeded requests the injected share is within 4.5
// standard deviations of p (sigma = sqrt(p(1-p)/n); a false alarm about once in 150,000 runs for
// a random seed, and the seeds here are fixed).
func TestInjectedShareWithinBound(t *testing.T) {
	t.Parallel()
	const n = 10000
	for _, p := range []float64{0.01, 0.1, 0.3, 0.5, 0.9} {
		for seed := range uint64(3) {
			got := 0
			for _, d := range decisions(t, seed, []Fault{{Name: "f", Probability: units.Probability(p), Action: Action{Kind: KindMalformed}}}, n, "/") {
				if d.Injected {
					got++
				}
			}
			sigma := math.Sqrt(p * (1 - p) / n)
			if share := float64(got) / n; math.Abs(share-p) > 4.5*sigma {
				t.Errorf("p=%v seed %d: injected %d of %d = %.4f; want within 4.5σ (±%.4f) of p", p, seed, got, n, share, 4.5*sigma)
			}
		}
	}
}

func TestProbabilityEdges(t *testing.T) {
	t.Parallel()
	for _, p := range []units.Probability{0, 1} {
		for _, d := range decisions(t, 9, []Fault{{Name: "f", Probability: p, Action: Action{Kind: KindError}}}, 1000, "/") {
			if d.Injected != (p == 1) {
				t.Fatalf("p=%v: decision %+v; want injected=%v every time", p, d, p == 1)
			}
		}
	}
}

func TestMatching(t *testing.T) {
	t.Parallel()
	tests := []struct {
		method, prefix string
		reqMethod      string
		path           string
		want           bool
	}{
		{"", "", "GET", "/anything", true},
		{"", "/api/chat", "POST", "/api/chat", true},
		{"", "/api/chat", "POST", "/api/chatter", true}, // a prefix, not a route
		{"", "/api/chat", "POST", "/api/generate", false},
		{"POST", "/api/", "POST", "/api/embed", true},
		{"POST", "/api/", "GET", "/api/tags", false},
		{"GET", "", "HEAD", "/", false},
	}
	for _, tt := range tests {
		a := Action{Method: tt.method, PathPrefix: tt.prefix}
		if got := a.matches(httptest.NewRequest(tt.reqMethod, tt.path, nil)); got != tt.want {
			t.Errorf("Action{Method: %q, PathPrefix: %q}.matches(%s %s) = %v; want %v", tt.method, tt.prefix, tt.reqMethod, tt.path, got, tt.want)
		}
	}
	// Unmatched requests take no draw.
	ds := decisions(t, 1, []Fault{{Name: "chat", Probability: 1, Action: Action{Kind: KindError, PathPrefix: "/api/chat"}}}, 5, "/api/tags")
	if len(ds) != 0 {
		t.Errorf("requests to /api/tags under a /api/chat fault made %d decisions; want 0", len(ds))
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	err := Validate(Fault{Name: "bad name!", Probability: 2, Action: Action{Kind: "explode", Status: 200, AfterChunks: -1, Method: "FETCH", Delay: -1, Max: -1}})
	for _, want := range []string{`name = "bad name!"; want 1-64 letters`, `kind = "explode"; want one of [error latency first-chunk stall drop malformed stream-error]`,
		"probability = 200%; want a value from 0 to 1", "status = 200; want an HTTP error status from 400 to 599",
		"after_chunks = -1; want 0 or more", `method = "FETCH"; want GET, POST`, "delay = -1ns; want 0 or more", "max = -1; want 0 (no limit)"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v; want it to contain %q", err, want)
		}
	}
	for _, k := range []Kind{KindLatency, KindFirstChunk, KindStall} {
		if err := Validate(Fault{Name: "x", Probability: 1, Action: Action{Kind: k}}); err == nil || !strings.Contains(err.Error(), "more than 0 for a "+string(k)+" fault") {
			t.Errorf("%s fault without delay: Validate() = %v; want the delay named", k, err)
		}
	}
	for _, f := range []Fault{
		{Name: "ok", Probability: 0.5, Action: Action{Kind: KindError, Status: 429, RetryAfter: units.Duration(2e9)}},
		{Name: "ok.2_x-y", Probability: 1, Action: Action{Kind: KindDrop}},
		{Name: "s", Probability: 1, Action: Action{Kind: KindStall, Delay: 1, AfterChunks: 3, Method: "POST", PathPrefix: "/api/chat"}},
	} {
		if err := Validate(f); err != nil {
			t.Errorf("Validate(%+v) = %v; want nil", f, err)
		}
	}
}

func TestSetAllIsAllOrNone(t *testing.T) {
	t.Parallel()
	in, _ := New(Config{Faults: []Fault{{Name: "a", Probability: 1, Action: Action{Kind: KindError}}}})
	err := in.SetAll([]Fault{{Name: "b", Probability: 1, Action: Action{Kind: KindDrop}}, {Name: "c", Action: Action{Kind: "nope"}}})
	if err == nil || len(in.Faults()) != 1 {
		t.Errorf("SetAll with one bad fault = %v, faults now %v; want an error and only \"a\" set", err, in.Faults())
	}
	err = in.SetAll([]Fault{{Name: "d", Action: Action{Kind: KindDrop}}, {Name: "d", Action: Action{Kind: KindDrop}}})
	if err == nil || !strings.Contains(err.Error(), "comes twice") {
		t.Errorf("SetAll with a name twice = %v; want it refused", err)
	}
	if _, err := New(Config{Faults: []Fault{{Name: "x"}}}); err == nil {
		t.Error("New with an invalid fault = nil error")
	}
}

// TestSwitchingWhileServing sets, replaces and clears faults while requests run (for -race), and
// checks that a fault's stream goes on across Remove and Set.
func TestSwitchingWhileServing(t *testing.T) {
	t.Parallel()
	in, _ := New(Config{Seed: 3})
	h := in.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 500 {
				h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
			}
		})
	}
	for i := range 200 {
		in.Set(Fault{Name: "f", Probability: units.Probability(float64(i%10) / 10), Action: Action{Kind: KindError}})
		if i%7 == 0 {
			in.Remove("f")
		}
		in.Snapshot()
	}
	wg.Wait()
	in.Set(Fault{Name: "f", Probability: 1, Action: Action{Kind: KindError}})
	before := in.Snapshot().Faults[0].Decisions
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	after := in.Snapshot().Faults[0]
	if after.Decisions != before+1 || after.Injected == 0 {
		t.Errorf("Snapshot after one more request = %+v; want decisions %d and some injected", after, before+1)
	}
	in.Clear()
	if got := in.Snapshot(); len(got.Faults) != 0 || got.Seed != 3 {
		t.Errorf("Snapshot after Clear = %+v; want seed 3 and no faults", got)
	}
}

// TestMaxInjectsExactlyN: max 2 at probability 1 injects the first two requests and no other;
// at 30% it injects exactly 2 of 200, the first two the stream chose.
func TestMaxInjectsExactlyN(t *testing.T) {
	t.Parallel()
	for _, p := range []units.Probability{1, 0.3} {
		ds := decisions(t, 7, []Fault{{Name: "first-two", Probability: p, Action: Action{Kind: KindError, Max: 2}}}, 200, "/api/chat")
		var injected []uint64
		for _, d := range ds {
			if d.Injected {
				injected = append(injected, d.Seq)
			}
		}
		if len(ds) != 200 || len(injected) != 2 || p == 1 && (injected[0] != 0 || injected[1] != 1) {
			t.Errorf("p=%v: %d decisions, injected at %v; want 200 decisions and exactly 2 injected (0 and 1 at p=1)", p, len(ds), injected)
		}
	}
}
