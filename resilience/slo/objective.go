package slo

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// Objective is a target share of good events, such as 0.999.
type Objective struct {
	Target float64
	budget float64
}

// NewObjective returns the objective for target, which must lie in (0, 1).
func NewObjective(target float64) (Objective, error) {
	if !(target > 0 && target < 1) {
		return Objective{}, fmt.Errorf("slo: objective %v is outside (0, 1); want a share like 0.999 or a percentage like 99.9%%", target)
	}
	return Objective{Target: target, budget: Budget(target)}, nil
}

// MustObjective is NewObjective for constants; it panics on a bad target.
func MustObjective(target float64) Objective {
	o, err := NewObjective(target)
	if err != nil {
		panic(err)
	}
	return o
}

// ParseObjective reads "99.9%" or "0.999".
func ParseObjective(s string) (Objective, error) {
	t := strings.TrimSpace(s)
	pct := strings.HasSuffix(t, "%")
	v, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(t, "%")), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return Objective{}, fmt.Errorf("slo: %q is not an objective; want a share like 0.999 or a percentage like 99.9%%", s)
	}
	if pct {
		v = roundDecimal(v/100, decimals(v)+2)
	}
	return NewObjective(v)
}

// Budget returns the error budget of target: 1 - target, rounded to the decimals target is written
// with, so that Budget(0.999) == 0.001 exactly.
func Budget(target float64) float64 { return roundDecimal(1-target, decimals(target)) }

// Budget returns the objective's error budget: the share of events allowed to be bad.
func (o Objective) Budget() float64 {
	if o.budget == 0 {
		return Budget(o.Target)
	}
	return o.budget
}

// Burn returns the burn rate of b: its bad share over the budget, (Total-Good) / (Total ×
// budget), computed exactly (the budget of a target written with d decimals is a whole number of
// 10^-d) and rounded once, so that a burn that is exactly a rule's rate or a level's threshold
// reaches it: 144 bad of 10,000 at 99.9% is 14.4, where 0.0144 / 0.001 in floating point is
// 14.399999999999999. 0 for an empty bucket.
func (o Objective) Burn(b Bucket) float64 {
	if b.Total <= 0 {
		return 0
	}
	d := decimals(o.Target)
	scale := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(d)), nil)
	units := int64(math.Round(o.Budget() * math.Pow10(d))) // the budget in 10^-d
	if units <= 0 {
		return math.Inf(1)
	}
	num := new(big.Int).Mul(big.NewInt(b.Total-b.Good), scale)
	den := new(big.Int).Mul(big.NewInt(b.Total), big.NewInt(units))
	f, _ := new(big.Rat).SetFrac(num, den).Float64()
	return f
}

// String formats the objective as a percentage, e.g. "99.9%".
func (o Objective) String() string {
	return strconv.FormatFloat(roundDecimal(o.Target*100, max(decimals(o.Target)-2, 0)), 'f', -1, 64) + "%"
}

// decimals returns how many decimals the shortest representation of v has (at most 15).
func decimals(v float64) int {
	s := strconv.FormatFloat(v, 'f', -1, 64)
	if i := strings.IndexByte(s, '.'); i >= 0 {
		return min(len(s)-i-1, 15)
	}
	return 0
}

func roundDecimal(v float64, d int) float64 {
	p := math.Pow10(d)
	return math.Round(v*p) / p
}
