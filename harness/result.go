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
	// Verdicts are the scenario's assertions judged over Record, when the run completed. An
	// aborted run (Ctrl-C, a deadline) or one that failed to start or finish is not judged (a
	// verdict over part of a run would mislead): each assertion is listed as assertions.NotRun,
	// saying why, and the record holds the error.
	Verdicts []assertions.Verdict
}

// judge is the one rule by which a run's record is judged, for the command line and for go test
// alike: the assertions are evaluated over a completed run only, and a named load target that
// sent no request is a verdict of its own (insufficient data: the load did not do what the
// scenario says), so that it shows in the report and fails the run.
func judge(rec *record.Record, as []assertions.Spec) *Result {
	res := &Result{Record: rec}
	if rec.Status != record.StatusCompleted {
		res.Verdicts = assertions.NotJudged(as, notRun(rec))
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

// notRun says how far a run that was not judged went: before its load (its environment, set-up
// or system under test failed) or during it.
func notRun(rec *record.Record) string {
	how := "failed"
	if rec.Status == record.StatusAborted {
		how = "was aborted"
	}
	if len(rec.Phases) == 0 {
		return fmt.Sprintf("the run %s before its load began: %s", how, rec.Error)
	}
	return fmt.Sprintf("the run %s during its %s phase: %s", how, rec.Phases[len(rec.Phases)-1].Name, rec.Error)
}

// UnsentKind is the kind of the verdict judge adds for a named target that sent no request.
const UnsentKind = "target-sent"

// Judged reports whether the run was judged: it completed, and its verdicts were evaluated (else
// every verdict is assertions.NotRun).
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
