package seeded

import "testing"

func TestStream(t *testing.T) {
	t.Parallel()
	draws := func(seed uint64, name string) [4]float64 {
		r := Stream(seed, name)
		return [4]float64{r.Float64(), r.Float64(), r.Float64(), r.Float64()}
	}
	if a, b := draws(42, "slow-db"), draws(42, "slow-db"); a != b {
		t.Errorf("Stream(42, slow-db) twice: %v then %v; want the same draws", a, b)
	}
	if a, b := draws(42, "slow-db"), draws(43, "slow-db"); a == b {
		t.Errorf("Stream(42|43, slow-db) = %v both; want another seed to draw otherwise", a)
	}
	if a, b := draws(42, "slow-db"), draws(42, "slow-cache"); a == b {
		t.Errorf("Stream(42, slow-db|slow-cache) = %v both; want another fault to draw otherwise", a)
	}
}

// TestDrawsCapInjections: at probability 1 and max 2 the first two decisions inject and no
// other, the draws numbered from 0 without a gap.
func TestDrawsCapInjections(t *testing.T) {
	t.Parallel()
	d := NewDraws(1, "f")
	for i := range uint64(5) {
		seq, _, injected := d.Decide(1, 2)
		if seq != i || injected != (i < 2) {
			t.Errorf("decision %d: seq %d, injected %v; want seq %d, injected %v", i, seq, injected, i, i < 2)
		}
	}
	if n, k := d.Counts(); n != 5 || k != 2 {
		t.Errorf("Counts = %d, %d; want 5, 2", n, k)
	}
}
