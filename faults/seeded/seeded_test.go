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
