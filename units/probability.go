package units

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Probability is a chance in [0, 1], written in files as a fraction (0.3) or a percentage ("30%").
// What one draw stands for (a connection, a request, a tick) is the fault kind's to say.
type Probability float64

// F returns p as a float64.
func (p Probability) F() float64 { return float64(p) }

// String formats p as a percentage with no trailing zeros, e.g. "30%" or "0.5%".
func (p Probability) String() string {
	return strconv.FormatFloat(float64(p)*100, 'f', -1, 64) + "%"
}

// ParseProbability parses "0.3", "1", "30%" or "0.5%".
func ParseProbability(s string) (Probability, error) {
	t := strings.TrimSpace(s)
	pct := strings.HasSuffix(t, "%")
	num := strings.TrimSpace(strings.TrimSuffix(t, "%"))
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%q is not a probability; want a fraction from 0 to 1 (0.3) or a percentage (30%%)", s)
	}
	if pct {
		v /= 100
	}
	if v < 0 || v > 1 {
		return 0, fmt.Errorf("probability %q is outside 0..1; want a fraction from 0 to 1 (0.3) or a percentage from 0%% to 100%%", s)
	}
	return Probability(v), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (p *Probability) UnmarshalText(b []byte) error {
	v, err := ParseProbability(string(b))
	if err != nil {
		return err
	}
	*p = v
	return nil
}

// MarshalText implements encoding.TextMarshaler.
func (p Probability) MarshalText() ([]byte, error) {
	return []byte(strconv.FormatFloat(float64(p), 'f', -1, 64)), nil
}
