package slo

import (
	"fmt"
	"time"
)

// BurnRate is how fast a bad share spends the budget: 1 spends exactly the budget over the SLO
// period, 14.4 spends 2% of a 30-day budget in one hour. It divides floating-point numbers, so a
// burn of exactly a threshold may come out just below it: Objective.Burn of the counts is exact.
func BurnRate(badShare, budget float64) float64 {
	if budget <= 0 {
		return 0
	}
	return badShare / budget
}

// Level is how much of the error budget is spent.
type Level int

// The levels, from none to freeze.
const (
	LevelOK       Level = iota
	LevelWarning        // Thresholds.Warning spent (50% by default)
	LevelCritical       // Thresholds.Critical spent (80%)
	LevelFreeze         // Thresholds.Freeze spent (90%): stop shipping features
)

var levelNames = [...]string{"ok", "warning", "critical", "freeze"}

func (l Level) String() string {
	if l < 0 || int(l) >= len(levelNames) {
		return fmt.Sprintf("Level(%d)", int(l))
	}
	return levelNames[l]
}

// Thresholds are the shares of the budget spent at which each level starts.
type Thresholds struct {
	Warning, Critical, Freeze float64
}

// DefaultThresholds are the SRE workbook's levels: 50% warning, 80% critical, 90% freeze.
var DefaultThresholds = Thresholds{Warning: 0.5, Critical: 0.8, Freeze: 0.9}

// Validate checks 0 < Warning ≤ Critical ≤ Freeze.
func (t Thresholds) Validate() error {
	if !(t.Warning > 0 && t.Warning <= t.Critical && t.Critical <= t.Freeze) {
		return fmt.Errorf("slo: thresholds warning %v, critical %v, freeze %v; want 0 < warning ≤ critical ≤ freeze", t.Warning, t.Critical, t.Freeze)
	}
	return nil
}

// Level returns the level of a spent share of the budget.
func (t Thresholds) Level(consumed float64) Level {
	switch {
	case consumed >= t.Freeze:
		return LevelFreeze
	case consumed >= t.Critical:
		return LevelCritical
	case consumed >= t.Warning:
		return LevelWarning
	}
	return LevelOK
}

// Rule is one multi-window burn-rate alert: it fires while the burn rate over both the long and
// the short window reaches BurnRate. The short window makes the alert stop soon after the burn does.
type Rule struct {
	Name        string
	Severity    string // "page" or "ticket"
	BurnRate    float64
	LongWindow  time.Duration
	ShortWindow time.Duration
}

// WorkbookPeriod is the SLO period the workbook's table is written for.
const WorkbookPeriod = 30 * 24 * time.Hour

// WorkbookRules returns the SRE workbook's recommended alerts for a 30-day SLO (page at 14.4x over
// 1h and 5m, page at 6x over 6h and 30m, ticket at 1x over 3d and 6h), with the windows scaled
// from 30 days to period. Scaled to a short period the windows can be shorter than the data's
// resolution (a 10-minute period gives the fast page windows of 0.83 s and 0.07 s): use
// ScaledRules to round them up to whole steps.
func WorkbookRules(period time.Duration) []Rule {
	f := float64(period) / float64(WorkbookPeriod)
	scale := func(d time.Duration) time.Duration { return time.Duration(float64(d) * f) }
	return []Rule{
		{Name: "fast-burn", Severity: "page", BurnRate: 14.4, LongWindow: scale(time.Hour), ShortWindow: scale(5 * time.Minute)},
		{Name: "slow-burn", Severity: "page", BurnRate: 6, LongWindow: scale(6 * time.Hour), ShortWindow: scale(30 * time.Minute)},
		{Name: "ticket", Severity: "ticket", BurnRate: 1, LongWindow: scale(3 * 24 * time.Hour), ShortWindow: scale(6 * time.Hour)},
	}
}

// ScaledRules is WorkbookRules(period) with every window rounded up to a whole multiple of step
// (the resolution of the data, such as one second), so that no window is shorter than one step.
func ScaledRules(period, step time.Duration) []Rule {
	rules := WorkbookRules(period)
	up := func(d time.Duration) time.Duration {
		if step <= 0 {
			return d
		}
		return max((d+step-1)/step*step, step)
	}
	for i := range rules {
		rules[i].LongWindow, rules[i].ShortWindow = up(rules[i].LongWindow), up(rules[i].ShortWindow)
	}
	return rules
}
