package wirefault

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shakedown-dev/shakedown/units"
)

// TestDelayDistributions: 20,000 delays of each distribution, drawn from the fault's stream,
// have the mean and spread the fault asks for, and the same seed draws the same delays.
func TestDelayDistributions(t *testing.T) {
	t.Parallel()
	const n = 20000
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	for _, tt := range []struct {
		dist               string
		mean, sd, min, max float64 // ms
	}{
		{"uniform", 100, 50 / math.Sqrt(3), 50, 150},
		{"normal", 100, 20, 0, math.Inf(1)},
		{"exponential", 120, 20, 100, math.Inf(1)},
	} {
		jitter := map[string]time.Duration{"uniform": 50 * time.Millisecond, "normal": 20 * time.Millisecond, "exponential": 20 * time.Millisecond}[tt.dist]
		delays := func(seed uint64) []float64 {
			in, err := New(Config{Protocol: Redis, Seed: seed})
			if err != nil {
				t.Fatal(err)
			}
			defer in.Close()
			if err := in.Set(Fault{Name: "slow", Probability: 1, Action: Action{Kind: KindLatency, Latency: units.Duration(100 * time.Millisecond),
				Jitter: units.Duration(jitter), Distribution: tt.dist}}); err != nil {
				t.Fatal(err)
			}
			out := make([]float64, n)
			for i := range out {
				out[i] = ms(in.decide(&Request{Command: "GET"}).delay)
			}
			return out
		}
		ds := delays(1)
		var sum, sq float64
		for _, d := range ds {
			sum += d
			sq += d * d
		}
		mean := sum / n
		sd := math.Sqrt(sq/n - mean*mean)
		if math.Abs(mean-tt.mean) > 4.5*tt.sd/math.Sqrt(n) || math.Abs(sd-tt.sd) > 0.05*tt.sd || slices.Min(ds) < tt.min || slices.Max(ds) > tt.max {
			t.Errorf("%s: mean %.2f ms, sd %.2f ms, range [%.1f, %.1f]; want mean %.0f, sd %.1f, within [%v, %v]",
				tt.dist, mean, sd, slices.Min(ds), slices.Max(ds), tt.mean, tt.sd, tt.min, tt.max)
		}
		if !slices.Equal(ds, delays(1)) || slices.Equal(ds, delays(2)) {
			t.Errorf("%s: the same seed drew other delays, or another seed the same", tt.dist)
		}
	}
}

// TestDecideWhileFaultsChange: requests decided while faults are set and removed (a window
// closing under load) see whole faults: no data race (go test -race), and every injected error
// is one of the faults' own requests.
func TestDecideWhileFaultsChange(t *testing.T) {
	t.Parallel()
	in, err := New(Config{Protocol: Postgres})
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	f := func(name string) Fault {
		return Fault{Name: name, Probability: 1, Action: Action{Kind: KindError, SQLState: "40P01"}}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 2000 {
			in.Set(f("a"))
			in.Set(f("b"))
			in.Remove("a")
			in.Remove("b")
		}
	}()
	for {
		select {
		case <-done:
			return
		default:
		}
		if a := in.decide(&Request{Text: "SELECT 1"}); a.replace != nil && !strings.Contains(string(a.replace), "40P01") {
			t.Fatalf("replacement %q; want the 40P01 of a fault that was set", a.replace)
		}
	}
}
