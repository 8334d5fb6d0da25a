package harnesstest

import (
	"fmt"
	"strings"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shakedown-dev/shakedown/assertions"
)

// Find returns the verdict with the given name.
func Find(verdicts []assertions.Verdict, name string) (assertions.Verdict, bool) {
	for _, v := range verdicts {
		if v.Name == name {
			return v, true
		}
	}
	return assertions.Verdict{}, false
}

// AssertPass reports through t (testify-style: *testing.T, or anything with Errorf) every named
// verdict that did not pass, with its explanation; with no names, every verdict. It returns
// whether they all passed.
func AssertPass(t assert.TestingT, verdicts []assertions.Verdict, names ...string) bool {
	if h, ok := t.(interface{ Helper() }); ok {
		h.Helper()
	}
	var bad []string
	for _, v := range pick(t, verdicts, names) {
		if !v.Passed() {
			bad = append(bad, fmt.Sprintf("%s: %s", v.Status, v.Explanation))
		}
	}
	if len(bad) > 0 {
		return assert.Fail(t, fmt.Sprintf("%d of the verdicts did not pass", len(bad)), strings.Join(bad, "\n"))
	}
	return true
}

// RequirePass is AssertPass that stops the test (t.FailNow) when a verdict did not pass.
func RequirePass(t require.TestingT, verdicts []assertions.Verdict, names ...string) {
	if h, ok := t.(interface{ Helper() }); ok {
		h.Helper()
	}
	if !AssertPass(t, verdicts, names...) {
		t.FailNow()
	}
}

// AssertFail reports every named verdict whose status is not fail: for tests that show a verdict
// catches what it checks (the resilience switched off, the verdict must fail). A verdict with too
// little data to judge did not catch anything, so it is reported too. It returns whether every
// named verdict failed.
func AssertFail(t assert.TestingT, verdicts []assertions.Verdict, names ...string) bool {
	if h, ok := t.(interface{ Helper() }); ok {
		h.Helper()
	}
	var bad []string
	for _, v := range pick(t, verdicts, names) {
		if v.Status != assertions.Fail {
			bad = append(bad, fmt.Sprintf("%s: %s", v.Status, v.Explanation))
		}
	}
	if len(bad) > 0 {
		return assert.Fail(t, fmt.Sprintf("%d of the verdicts did not fail; want each to fail", len(bad)), strings.Join(bad, "\n"))
	}
	return true
}

// pick returns the named verdicts (every verdict with no names), reporting names not found.
func pick(t assert.TestingT, verdicts []assertions.Verdict, names []string) []assertions.Verdict {
	if len(names) == 0 {
		return verdicts
	}
	var out []assertions.Verdict
	for _, n := range names {
		v, ok := Find(verdicts, n)
		if !ok {
			var have []string
			for _, v := range verdicts {
				have = append(have, fmt.Sprintf("%q", v.Name))
			}
			assert.Fail(t, fmt.Sprintf("no verdict %q", n), "the verdicts are "+strings.Join(have, ", "))
			continue
		}
		out = append(out, v)
	}
	return out
}
