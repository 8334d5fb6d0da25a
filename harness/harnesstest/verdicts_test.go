package harnesstest_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/shakedown-dev/shakedown/assertions"
	"github.com/shakedown-dev/shakedown/harness/harnesstest"
)

// recorder is a testify TestingT that keeps what it was told.
type recorder struct{ msgs []string }

func (r *recorder) Errorf(format string, args ...any) {
	r.msgs = append(r.msgs, fmt.Sprintf(format, args...))
}

// TestAssertFail: a verdict shown to catch missing resilience must fail; a pass and too little
// data are both reported, each with its status and explanation.
func TestAssertFail(t *testing.T) {
	t.Parallel()
	vs := []assertions.Verdict{
		{Name: "caught", Status: assertions.Fail, Explanation: "caught: 30% available"},
		{Name: "missed", Status: assertions.Pass, Explanation: "missed: 100% available"},
		{Name: "blind", Status: assertions.Insufficient, Explanation: "blind: 0 samples"},
	}
	var r recorder
	if !harnesstest.AssertFail(&r, vs, "caught") || len(r.msgs) != 0 {
		t.Errorf("AssertFail(caught) reported %q; want nothing", r.msgs)
	}
	for _, name := range []string{"missed", "blind"} {
		var r recorder
		if harnesstest.AssertFail(&r, vs, name) || len(r.msgs) != 1 || !strings.Contains(r.msgs[0], name+": ") || !strings.Contains(r.msgs[0], "did not fail") {
			t.Errorf("AssertFail(%s) reported %q; want one report naming it", name, r.msgs)
		}
	}
}
