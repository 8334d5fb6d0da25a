package slo

import (
	"math"
	"strings"
	"testing"
	"time"
)

// TestBudgetIsExact pins the floating-point pitfall: 1-0.999 is 0.0010000000000000009.
func TestBudgetIsExact(t *testing.T) {
	t.Parallel()
	tests := []struct {
		target, want float64
	}{
		{0.999, 0.001}, {0.99, 0.01}, {0.9999, 0.0001}, {0.99999, 0.00001}, {0.95, 0.05}, {0.9995, 0.0005},
	}
	for _, tt := range tests {
		if got := Budget(tt.target); got != tt.want {
			t.Errorf("Budget(%v) = %v; want exactly %v", tt.target, got, tt.want)
		}
	}
	if 1-0.999 == 0.001 {
		t.Log("this platform's 1-0.999 happens to be exact")
	}
}

func TestParseObjective(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want, wantErr string
		budget            float64
	}{
		{"99.9%", "99.9%", "", 0.001},
		{"0.999", "99.9%", "", 0.001},
		{"99.95 %", "99.95%", "", 0.0005},
		{"100%", "", "outside (0, 1)", 0},
		{"0", "", "outside (0, 1)", 0},
		{"nines", "", "not an objective", 0},
	}
	for _, tt := range tests {
		o, err := ParseObjective(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseObjective(%q) error = %v; want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || o.String() != tt.want || o.Budget() != tt.budget {
			t.Errorf("ParseObjective(%q) = %v (budget %v), %v; want %s (budget %v)", tt.in, o, o.Budget(), err, tt.want, tt.budget)
		}
	}
}

func TestThresholds(t *testing.T) {
	t.Parallel()
	for consumed, want := range map[float64]Level{0: LevelOK, 0.49: LevelOK, 0.5: LevelWarning, 0.8: LevelCritical, 0.9: LevelFreeze, 3: LevelFreeze} {
		if got := DefaultThresholds.Level(consumed); got != want {
			t.Errorf("Level(%v) = %s; want %s", consumed, got, want)
		}
	}
	if err := (Thresholds{Warning: 0.9, Critical: 0.8, Freeze: 1}).Validate(); err == nil {
		t.Error("Validate accepted warning above critical")
	}
}

func TestWorkbookRulesScale(t *testing.T) {
	t.Parallel()
	r := WorkbookRules(WorkbookPeriod)
	if r[0].LongWindow != time.Hour || r[0].ShortWindow != 5*time.Minute || r[0].BurnRate != 14.4 ||
		r[1].LongWindow != 6*time.Hour || r[1].ShortWindow != 30*time.Minute || r[1].BurnRate != 6 ||
		r[2].LongWindow != 72*time.Hour || r[2].ShortWindow != 6*time.Hour || r[2].BurnRate != 1 {
		t.Errorf("WorkbookRules(30d) = %+v; want the workbook's table", r)
	}
	s := ScaledRules(WorkbookPeriod/60, time.Second) // a 12-hour period
	if s[0].LongWindow != time.Minute || s[0].ShortWindow != 5*time.Second || s[2].LongWindow != 72*time.Minute {
		t.Errorf("ScaledRules(12h, 1s) = %+v; want windows of 60s/5s, 6m/30s, 72m/6m", s)
	}
	if s := ScaledRules(10*time.Minute, time.Second); s[0].ShortWindow != time.Second {
		t.Errorf("ScaledRules(10m, 1s) fast short window = %v; want rounded up to 1s", s[0].ShortWindow)
	}
}

// series makes n one-second buckets of 1000 events with bad(i) bad events in bucket i.
func series(n int, bad func(i int) int64) Series {
	s := Series{Step: time.Second, Buckets: make([]Bucket, n)}
	for i := range s.Buckets {
		s.Buckets[i] = Bucket{Total: 1000, Good: 1000 - bad(i)}
	}
	return s
}

func alert(r Report, name string) AlertResult {
	for _, a := range r.Alerts {
		if a.Rule.Name == name {
			return a
		}
	}
	return AlertResult{}
}

func TestMultiWindowAlerts(t *testing.T) {
	t.Parallel()
	o := MustObjective(0.999)
	period := WorkbookPeriod / 60 // windows: 60s/5s, 360s/30s, 4320s/360s

	// A sharp outage of 60s from 100s: the fast page fires within its first second and stops
	// once the short window is clear, though the long window still burns.
	r := Evaluate(o, series(1200, func(i int) int64 { return map[bool]int64{true: 1000}[i >= 100 && i < 160] }), period, nil, Thresholds{})
	if a := alert(r, "fast-burn"); !a.Fired || a.FirstAt != 101*time.Second || a.FiringFor != 64*time.Second {
		t.Errorf("outage: fast-burn %+v; want fired at 101s for 64s", a)
	}
	if r.Level != LevelFreeze || r.Consumed != 50 {
		t.Errorf("outage: consumed %v (%s); want 50 budgets (freeze)", r.Consumed, r.Level)
	}

	// A slow burn at 2x: only the ticket fires.
	r = Evaluate(o, series(1200, func(int) int64 { return 2 }), period, nil, Thresholds{})
	if alert(r, "fast-burn").Fired || alert(r, "slow-burn").Fired || !alert(r, "ticket").Fired {
		t.Errorf("slow burn: %s\nwant only the ticket", r.Explain())
	}

	// A blip of 30% errors for 2s burns the short window (120x) but not the long one (10x):
	// both must exceed, so nothing pages.
	r = Evaluate(o, series(1200, func(i int) int64 { return map[bool]int64{true: 300}[i == 500 || i == 501] }), period, nil, Thresholds{})
	if a := alert(r, "fast-burn"); a.Fired || a.MaxShortBurn < 14.4 || a.MaxLongBurn >= 14.4 {
		t.Errorf("blip: fast-burn %+v; want not fired, short burn over 14.4, long under", a)
	}
	if alert(r, "slow-burn").Fired {
		t.Errorf("blip paged: %s", r.Explain())
	}
}

func TestExplain(t *testing.T) {
	t.Parallel()
	r := Evaluate(MustObjective(0.99), series(10, func(i int) int64 { return 5 }), time.Hour, nil, Thresholds{})
	want := "objective 99% (budget 0.01): 50 of 10000 events bad (0.5000%), 50.0% of the budget spent: warning"
	if got := strings.SplitN(r.Explain(), "\n", 2)[0]; got != want {
		t.Errorf("Explain() first line = %q; want %q", got, want)
	}
}

func FuzzParseObjective(f *testing.F) {
	for _, s := range []string{"99.9%", "0.999", "1e-300", "99.99999999999999999%", "-1", "NaN%"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		o, err := ParseObjective(s)
		if err != nil {
			return
		}
		if b := o.Budget(); !(o.Target > 0 && o.Target < 1) || b < 0 || b > 1 {
			t.Errorf("ParseObjective(%q) = %+v with budget %v", s, o, b)
		}
	})
}

// TestBurnAtTheThresholds: a burn that is exactly a rule's rate fires it, and a spent share that
// is exactly a level's threshold reaches the level, for every workbook rule and every level; one
// bad event fewer does not. 144 bad of 10,000 at 99.9% used to burn 14.399999999999999 (never
// firing the 14.4x page), and 9 bad spent 0.8999999999999999 (critical, not freeze).
func TestBurnAtTheThresholds(t *testing.T) {
	t.Parallel()
	o := MustObjective(0.999)
	whole := time.Hour
	for _, rate := range []float64{14.4, 6, 1} {
		bad := int64(math.Round(rate * 10)) // the budget of 10,000 events at 99.9% is 10
		for _, tt := range []struct {
			bad  int64
			fire bool
		}{{bad, true}, {bad - 1, false}} {
			s := Series{Step: whole, Buckets: []Bucket{{Good: 10_000 - tt.bad, Total: 10_000}}}
			rule := Rule{Name: "r", BurnRate: rate, LongWindow: whole, ShortWindow: whole}
			r := Evaluate(o, s, whole, []Rule{rule}, Thresholds{})
			if r.Alerts[0].Fired != tt.fire {
				t.Errorf("%d bad of 10,000 at 99.9%%: the %gx rule fired = %v (burn %v); want %v", tt.bad, rate, r.Alerts[0].Fired, r.Alerts[0].MaxLongBurn, tt.fire)
			}
		}
	}
	for _, tt := range []struct {
		bad  int64
		want Level
	}{{4, LevelOK}, {5, LevelWarning}, {7, LevelWarning}, {8, LevelCritical}, {9, LevelFreeze}, {10, LevelFreeze}} {
		r := Evaluate(o, Series{Step: whole, Buckets: []Bucket{{Good: 10_000 - tt.bad, Total: 10_000}}}, whole, []Rule{}, Thresholds{})
		if r.Level != tt.want {
			t.Errorf("%d bad of 10,000 at 99.9%%: %v of the budget spent, level %s; want %s", tt.bad, r.Consumed, r.Level, tt.want)
		}
	}
	if got := MustObjective(0.9995).Burn(Bucket{Good: 9_993, Total: 10_000}); got != 1.4 {
		t.Errorf("7 bad of 10,000 at 99.95%%: burn %v; want 1.4", got)
	}
}
