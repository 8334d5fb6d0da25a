package docs

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A ranBy says what runs a command that a page shows and this test does not run itself. At least
// one field is set, and each one set must exist: the test checks it.
type ranBy struct {
	ci     string // a line of .ci/run, which CI runs on every submission
	target string // a Makefile target that runs it (or that it is)
	test   string // "folder.Func": a test that runs it, or the benchmark it measures
}

// commands maps every command the pages show in a ```sh, ```bash or ```console block, and that
// this test does not run itself, to what runs it. A command in neither fails the test; an entry
// that no page shows any more fails it too, so the table stays the pages' list.
var commands = map[string]ranBy{
	// Set-up: CI runs these on every submission (.ci/run).
	"make deps":   {ci: "make deps", target: "deps"},
	"make images": {ci: "make images", target: "images"},
	"make test":   {ci: "make test", target: "test"},
	"make lint":   {ci: "make lint", target: "lint"},
	// One scenario end to end at full length; CI runs the same scenario's short form on both
	// backends, and the same command on another scenario.
	"make demo":  {target: "demo", test: "scenarios/catalog.TestCatalogShort"},
	"make build": {target: "build"},
	"shakedown run scenarios/catalog/llm-down.yaml --seed 42": {target: "demo", test: "cmd/shakedown.TestRunExitCodes"},
	"shakedown env up --services postgres,redis":              {test: "cmd/shakedown.TestEnvUpHoldsUntilCancelled"},
	"shakedown report --index out":                            {target: "nightly", test: "cmd/shakedown.TestListAndReport"},

	// Against staging: no staging here; the tests run the same paths against local servers and a
	// real Kubernetes API server.
	"PGPASSWORD=... make nightly STAGING=staging.yaml":                     {target: "nightly", test: "harness.TestExternalBackendThroughToxiproxyServer"},
	"make nightly STAGING=staging-k8s.yaml":                                {target: "nightly", test: "cmd/shakedown.TestStagingSkipsWhatChaosMeshCannotRun"},
	"shakedown sweep --kubernetes staging-k8s.yaml --allow-target staging": {test: "cmd/shakedown.TestSweepKubernetes"},

	// The fault proxy: its binary (the image is built by make images).
	"go run ./cmd/shakedown-proxy --host 0.0.0.0 --config proxies.json": {test: "cmd/shakedown-proxy.TestServesAConfiguration"},

	// The mock Ollama: its binary, its image.
	"go run ./cmd/mock-ollama --addr 127.0.0.1:11434 --seed 7 --ttft 200ms --token-interval 20ms --models llama3.2,nomic-embed-text --tokens 0 --faults faults.json": {test: "cmd/mock-ollama.TestRunServesAndStops"},
	"images/mock-ollama/build.sh": {ci: "make images", target: "images"},
	"docker run --rm -p 127.0.0.1:11434:11434 shakedown/mock-ollama:dev --seed 7": {test: "mock/ollama.TestImage"},

	// Measurements (docs/performance.md): benchmarks, run by hand, not in CI. The table names the
	// benchmark each one measures, so that a renamed benchmark breaks the page's command here.
	"go test -run '^$' -bench . -benchtime 3s -count 3 ./mock/ollama/":                       {test: "mock/ollama.BenchmarkGenerateNonStreaming"},
	"go test -run '^$' -bench 'Start' -benchtime 3x ./env/":                                  {test: "env.BenchmarkStartLocal"},
	"go test -run '^$' -bench ProxyOverhead -benchtime 3000x -count 3 ./env/":                {test: "env.BenchmarkProxyOverhead"},
	"go test -run '^$' -bench Stage -count 10 -benchtime 10000x ./faults/wirefault/":         {test: "faults/wirefault.BenchmarkStage"},
	"go test -run '^$' -bench LoadVsPlainVegeta -benchtime 1x -count 3 ./harness/":           {test: "harness.BenchmarkLoadVsPlainVegeta"},
	"go test -run '^$' -bench FaultProxyCost -benchtime 3000x -count 3 ./faults/faultproxy/": {test: "faults/faultproxy.BenchmarkFaultProxyCost"},
	"make soak":                {target: "soak", test: "harness.BenchmarkRunSoak"},
	"BENCH_COUNT=6 make bench": {target: "bench", test: "bench.BenchmarkBreakerSuccess"},
	"cd bench && go test -run '^$' -bench 'HedgeFastAnswer|Pipeline|Floor' -benchmem -count 6 -cpu 1,2 .": {test: "bench.BenchmarkHedgeFastAnswer"},
	"cd bench && go test -run '^$' -bench 'RateLimit|Floor' -count 6 -cpu 1,2 .":                          {test: "bench.BenchmarkRateLimitAllow"},
	// Skipped unless SHAKEDOWN_CAPACITY is set: it loads the machine for about 40 s.
	"SHAKEDOWN_CAPACITY=1 SHAKEDOWN_CAPACITY_STEPS=6000,7000,8000,9000,10000 go test ./harness -run TestLoadCapacity -v -count=1": {test: "harness.TestLoadCapacity"},
}

// cheap are the shakedown subcommands this test runs itself: they start nothing.
var cheap = map[string]bool{"validate": true, "list": true, "schema": true, "export": true, "--help": true, "help": true}

// A shown command is one command line of a page, with what the page says it prints.
type shown struct {
	page *page
	line int
	cmd  string   // the command as written, comments and a prompt dropped
	out  []string // the lines a console block shows it printing
	exit int      // the exit status the page gives it (# exit status N), else 0
}

var exitNote = regexp.MustCompile(`#\s*exit status (\d+)\s*$`)

// shownCommands are the command lines of the shell blocks of every page: each line of a sh or
// bash block (a trailing backslash joins the next), and each "$ " line of a console block, with
// the lines up to the next prompt as its output.
func shownCommands(all []*page) []shown {
	var out []shown
	for _, p := range all {
		for _, f := range p.fences {
			switch f.lang {
			case "sh", "bash", "shell":
				for i := 0; i < len(f.body); i++ {
					line, cmd := f.line+1+i, f.body[i]
					for strings.HasSuffix(cmd, "\\") && i+1 < len(f.body) {
						i++
						cmd = strings.TrimSuffix(cmd, "\\") + " " + strings.TrimSpace(f.body[i])
					}
					if c := stripComment(cmd); c != "" {
						out = append(out, shown{page: p, line: line, cmd: c, exit: exitStatus(cmd)})
					}
				}
			case "console":
				for i, l := range f.body {
					if c, ok := strings.CutPrefix(l, "$ "); ok {
						out = append(out, shown{page: p, line: f.line + 1 + i, cmd: stripComment(c), exit: exitStatus(c)})
						continue
					}
					if n := len(out); n > 0 && out[n-1].page == p && out[n-1].line > f.line {
						if m := exitNote.FindStringSubmatch(l); m != nil {
							out[n-1].exit, _ = strconv.Atoi(m[1])
						}
						if o := strings.TrimSpace(exitNote.ReplaceAllString(l, "")); o != "" && o != "..." {
							out[n-1].out = append(out[n-1].out, o)
						}
					}
				}
			}
		}
	}
	return out
}

func exitStatus(line string) int {
	if m := exitNote.FindStringSubmatch(line); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return 0
}

// stripComment drops a shell comment (a # at the start or after a blank, outside quotes) and
// collapses blanks.
func stripComment(s string) string {
	var q byte
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case q != 0:
			if c == q {
				q = 0
			}
		case c == '\'' || c == '"':
			q = c
		case c == '#' && (i == 0 || s[i-1] == ' ' || s[i-1] == '\t'):
			s = s[:i]
		}
	}
	return strings.Join(strings.Fields(s), " ")
}

// An arg is one word of a command, and whether the shell would expand it as a pattern (it has
// a * or ? outside quotes).
type arg struct {
	text string
	glob bool
}

// words splits a command as the shell would for the commands this test runs: blanks separate,
// quotes group, no expansion but file patterns.
func words(s string) []arg {
	var out []arg
	var w arg
	var q rune
	in := false
	for _, r := range s {
		switch {
		case q != 0 && r == q:
			q = 0
		case q != 0:
			w.text += string(r)
		case r == '\'' || r == '"':
			q, in = r, true
		case r == ' ' || r == '\t':
			if in {
				out = append(out, w)
				w, in = arg{}, false
			}
		default:
			w.text += string(r)
			w.glob = w.glob || r == '*' || r == '?'
			in = true
		}
	}
	if in {
		out = append(out, w)
	}
	return out
}

var assignment = regexp.MustCompile(`^[A-Z_][A-Z0-9_]*=`)

// runnable parses a command this test runs itself: shakedown (or go run ./cmd/shakedown) with a
// subcommand that starts nothing, after optional VAR=value assignments, with an optional
// redirection of its output. Its file patterns are expanded in the repository's root, as the
// shell would. ok is false for any other command.
func runnable(cmd string) (env, args []string, ok bool) {
	w := words(cmd)
	for len(w) > 0 && assignment.MatchString(w[0].text) {
		env, w = append(env, w[0].text), w[1:]
	}
	switch {
	case len(w) > 0 && w[0].text == "shakedown":
		w = w[1:]
	case len(w) > 2 && w[0].text == "go" && w[1].text == "run" && w[2].text == "./cmd/shakedown":
		w = w[3:]
	default:
		return nil, nil, false
	}
	if n := len(w); n >= 2 && w[n-2].text == ">" {
		w = w[:n-2]
	}
	if len(w) == 0 || !cheap[w[0].text] {
		return nil, nil, false
	}
	for _, a := range w {
		if strings.ContainsAny(a.text, "|&;<>$`") {
			return nil, nil, false
		}
		matches, _ := filepath.Glob(filepath.Join(root, a.text))
		if !a.glob || len(matches) == 0 {
			args = append(args, a.text)
			continue
		}
		for _, m := range matches {
			rel, _ := filepath.Rel(root, m)
			args = append(args, filepath.ToSlash(rel))
		}
	}
	return env, args, true
}

// TestCommands: every command a page shows is run here, or named in the commands table with what
// runs it, and what the table names exists.
func TestCommands(t *testing.T) {
	t.Parallel()
	all := shownCommands(pages(t))
	used := map[string]bool{}
	var run []shown
	for _, c := range all {
		if _, _, ok := runnable(c.cmd); ok {
			run = append(run, c)
			continue
		}
		if _, ok := commands[c.cmd]; !ok {
			t.Errorf("%s:%d: `%s` is neither run by this test nor in its commands table (docs/commands_test.go) with what runs it", c.page.path, c.line, c.cmd)
		}
		used[c.cmd] = true
	}
	checkRunners(t, used)
	if testing.Short() {
		t.Skipf("-short: %d commands not run", len(run))
	}
	bin := buildShakedown(t)
	for _, c := range run {
		env, args, _ := runnable(c.cmd)
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), env...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		cancel()
		code := 0
		if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatalf("%s:%d: %s: %v", c.page.path, c.line, c.cmd, err)
		}
		if code != c.exit {
			t.Errorf("%s:%d: `%s` exited %d; the page says %d. Its output:\n%s", c.page.path, c.line, c.cmd, code, c.exit, out.String())
		}
		t.Logf("%s:%d: ran `%s`: exit %d", c.page.path, c.line, c.cmd, code)
		for _, want := range c.out {
			if !strings.Contains(out.String(), want) {
				t.Errorf("%s:%d: `%s` does not print %q, as the page shows. It printed:\n%s", c.page.path, c.line, c.cmd, want, out.String())
			}
		}
	}
}

// checkRunners checks that every entry of the commands table is shown by some page and that what
// it names exists: the .ci/run line, the Makefile target, the test function in its folder.
func checkRunners(t *testing.T, used map[string]bool) {
	t.Helper()
	ci := readLines(t, filepath.Join(root, ".ci", "run"))
	targets := makeTargets(t)
	funcs := testFuncs(t)
	for cmd, by := range commands {
		if !used[cmd] {
			t.Errorf("commands table: %q is shown on no page; remove it", cmd)
		}
		if by == (ranBy{}) {
			t.Errorf("commands table: %q names nothing that runs it", cmd)
		}
		if by.ci != "" && !contains(ci, by.ci) {
			t.Errorf("commands table: %q: .ci/run has no line %q", cmd, by.ci)
		}
		if by.target != "" && !targets[by.target] {
			t.Errorf("commands table: %q: the Makefile has no target %q", cmd, by.target)
		}
		if by.test != "" {
			dir, name, _ := strings.Cut(by.test, ".")
			if !contains(funcs[name], dir) {
				t.Errorf("commands table: %q: no func %s in %s's tests (found in %v)", cmd, name, dir, funcs[name])
			}
		}
	}
}

func contains(list []string, s string) bool {
	for _, l := range list {
		if l == s {
			return true
		}
	}
	return false
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		out = append(out, stripComment(l))
	}
	return out
}

var targetRule = regexp.MustCompile(`(?m)^([a-z][a-z0-9-]*):(?:[^=]|$)`)

// makeTargets are the Makefile's targets.
func makeTargets(t *testing.T) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, m := range targetRule.FindAllStringSubmatch(string(b), -1) {
		out[m[1]] = true
	}
	return out
}

// buildShakedown builds the command once for this test.
func buildShakedown(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "shakedown")
	cmd := exec.CommandContext(t.Context(), "go", "build", "-o", bin, "./cmd/shakedown")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/shakedown: %v\n%s", err, out)
	}
	return bin
}
