package harness

import (
	"fmt"

	"github.com/shakedown-dev/shakedown/assertions"
	"github.com/shakedown-dev/shakedown/record"
)

// Result is what a run gives: its record, and the scenario's verdicts over it.
type Result struct {
	// Record is the run's timeline; always set, whether the run completed or not.
	Record *record.Record
	// Verdicts are the scenario's assertions judged over Record: set only when the run
	// completed. An aborted run (Ctrl-C, a deadline) or one that failed to start or finish has
	// none: a verdict over part of a run would mislead, and the record says why it ended.
	Verdicts []assertions.Verdict
}

// judge is the one rule by which a run's record is judged, for the command line and for go test
// alike: the assertions are evaluated over a completed run only, and a named load target that
// sent no request is a verdict of its own (insufficient data: the load did not do what the
// scenario says), so that it shows in the report and fails the run.
func judge(rec *record.Record, as []assertions.Spec) *Result {
	res := &Result{Record: rec}
	if rec.Status != record.StatusCompleted {
		return res
	}
	res.Verdicts = assertions.Evaluate(rec, as)
	for _, name := range rec.Unsent() {
		res.Verdicts = append(res.Verdicts, assertions.Verdict{Name: "target " + name + " sent", Kind: UnsentKind, Phase: record.PhaseAll,
			Status: assertions.Insufficient, Expected: "requests of target " + name, Measured: "none",
			Explanation: fmt.Sprintf("target %s sent no request: %s", name, rec.Targets[name].WhyUnsent())})
	}
	return res
}

// UnsentKind is the kind of the verdict judge adds for a named target that sent no request.
const UnsentKind = "target-sent"

// Judged reports whether the run was judged: it completed, and its verdicts were evaluated.
func (r *Result) Judged() bool { return r.Record.Status == record.StatusCompleted }

// Passed reports whether the run completed and every verdict passed.
func (r *Result) Passed() bool { return r.Judged() && len(r.Failed()) == 0 }

// Failed returns the verdicts that did not pass: failed, or with too little data to judge.
func (r *Result) Failed() []assertions.Verdict {
	var out []assertions.Verdict
	for _, v := range r.Verdicts {
		if !v.Passed() {
			out = append(out, v)
		}
	}
	return out
}
