package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/shakedown-dev/shakedown/assertions"
	"github.com/shakedown-dev/shakedown/env/kube"
	"github.com/shakedown-dev/shakedown/harness"
	"github.com/shakedown-dev/shakedown/internal/builtins"
	"github.com/shakedown-dev/shakedown/record"
	"github.com/shakedown-dev/shakedown/reports"
	"github.com/shakedown-dev/shakedown/scenarios"
)

// More exit codes (see run.go).
const (
	exitVerdict = 1 // a verdict failed (or had too little data)
	exitAborted = 4 // interrupted: the record was written, marked aborted
)

// verdictError is a run whose verdicts did not all pass.
type verdictError struct{ failed int }

func (e verdictError) Error() string { return fmt.Sprintf("%d verdicts did not pass", e.failed) }

// abortedError is a run that was interrupted.
type abortedError struct{ err error }

func (e abortedError) Error() string { return e.err.Error() }
func (e abortedError) Unwrap() error { return e.err }

const runHelp = `usage: shakedown run FILE... [--seed N] [--backend auto|local|docker] [--out DIR] [--short] [--quiet]
                     [--sut-output file|stderr] [--timeout D] [--push URL] [--allow-target HOST]... [--staging FILE]
                     [--log-format text|json] [--log-level L]

Runs each scenario: starts its environment and system under test, drives the load through the
warmup, fault and recovery phases with the faults on their schedule, writes the journal (record
and verdicts, JSON), the HTML report and JUnit XML to DIR/<scenario>-<time>/ (journal.json,
report.html, junit.xml) and prints the verdicts. While it runs, a progress line on stderr
(rewritten every second on a terminal, every 10 seconds otherwise) shows the phase, the time, the
requests so far, the last second's rate, failed and degraded shares and p95, and the faults
applied. A request failed when it had no answer or a status its target does not expect (2xx and
3xx unless the target's expect says otherwise). A command SUT's output goes to sut.log in the
run's folder, linked from the report (--sut-output stderr: to stderr, as it prints).

Exit codes: 0 every verdict passed; 1 a verdict failed; 2 invalid input; 3 the environment or the
system under test failed; 4 interrupted (Ctrl-C): faults removed, record written, marked aborted.

Against staging (the external backend), every host that is not on this machine must be allowed
by name with --allow-target, checked before anything is touched; --timeout bounds the run and
--push sends the results to a Prometheus Pushgateway. --staging FILE moves every scenario there:
the file gives the environment, the SUT's URL, the allowed hosts, the Pushgateway and a safety
halt (see scenarios/testdata/staging.yaml); make nightly runs the catalog with it. On a
Kubernetes staging (backend kubernetes, faults as Chaos Mesh objects: docs/kubernetes.md) the
cluster context must be allowed too (--allow-target CONTEXT; --kube-context, --kubeconfig choose
it), and a scenario with a fault Chaos Mesh cannot express is skipped, with the reason printed
before and after the runs; the others run.

examples:
  shakedown run scenarios/catalog/llm-down.yaml --seed 42 --out reports
  shakedown run scenarios/catalog/*.yaml --short --backend local
  shakedown run staging/redis-outage.yaml --allow-target redis.staging.internal --timeout 30m --push http://pushgateway:9091
  shakedown run scenarios/catalog/*.yaml --staging staging.yaml --out out/nightly/2026-11-22
`

func runCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, runHelp); fs.PrintDefaults() }
	seed := fs.Uint64("seed", 0, "seed of every random decision (0: the scenario's, else a random one)")
	backend := fs.String("backend", "", "override the scenario's backend: auto, local, docker, external or kubernetes")
	out := fs.String("out", "out", "folder for the records")
	quiet := fs.Bool("quiet", false, "no progress lines")
	sutOutput := fs.String("sut-output", "file", "where a command SUT's output goes: file (sut.log in the run's folder, linked from the report) or stderr")
	push := fs.String("push", "", "push each run's results to this Prometheus Pushgateway (http://host:9091)")
	timeout := fs.Duration("timeout", 0, "stop a run that takes longer (it is aborted: faults removed, journal written); 0: none")
	logFormat := fs.String("log-format", "text", "log lines (on stderr) as text or json")
	logLevel := fs.String("log-level", "warn", "log from this level: debug, info, warn or error (quiet by default)")
	staging := fs.String("staging", "", "run every scenario against the staging description in this file (its environment, SUT, allowed hosts, push, halt)")
	var allow stringList
	fs.Var(&allow, "allow-target", "a host not on this machine that the run may touch (staging); repeat for each")
	short := fs.Bool("short", false, "run each scenario's short form (its short phases), as make test does")
	kf := kubeFlags(fs)
	files, help, err := parseFiles(fs, args)
	if help || err != nil {
		return err
	}
	if len(files) == 0 {
		return usagef("run: no scenario file given; want shakedown run FILE...")
	}
	if *sutOutput != "file" && *sutOutput != "stderr" {
		return usagef("run: --sut-output %q; want file or stderr", *sutOutput)
	}
	log, err := newLogger(stderr, *logFormat, *logLevel)
	if err != nil {
		return usagef("run: %v", err)
	}
	var st *scenarios.Staging
	if *staging != "" {
		if st, err = scenarios.LoadStaging(*staging); err != nil {
			fmt.Fprintln(stdout, err)
			return usagef("run: %s is invalid", *staging)
		}
		allow = append(allow, st.AllowTargets...)
		if *push == "" {
			*push = st.Push
		}
	}
	var plans []*harness.Plan
	var skipped []string // scenarios with faults staging's fault engine cannot express
	for _, f := range files {
		sc, err := scenarios.Load(f)
		if err != nil {
			fmt.Fprintln(stdout, err)
			return usagef("run: %s is invalid", f)
		}
		if st != nil {
			if sc, err = sc.OnStaging(st); err != nil {
				fmt.Fprintln(stdout, err)
				return usagef("run: %s cannot run on %s", f, *staging)
			}
		}
		p, err := harness.NewPlan(sc, harness.RunOptions{Seed: *seed, Backend: *backend, Short: *short, AllowTargets: allow,
			Builtins: builtins.Reference(), Replay: replayLine(fs, f), Kubernetes: kf.backend()})
		var refused *kube.RefusedError
		switch {
		case err != nil && st != nil && errors.As(err, &refused) && !errors.Is(err, harness.ErrTargetNotAllowed):
			skipped = append(skipped, fmt.Sprintf("%s: %v", f, err)) // the rest of the catalog still runs on staging
			continue
		case err != nil:
			return usagef("run: %s: %v", f, err)
		}
		plans = append(plans, p)
	}
	sayskipped := func() {
		for _, s := range skipped {
			fmt.Fprintf(stdout, "skipped on %s: %s\n", *staging, s)
		}
	}
	sayskipped()
	defer sayskipped()
	failed := 0
	for _, p := range plans {
		sc := p.Scenario
		fmt.Fprintf(stderr, "running %s (%s)\n", sc.Name, p.Total())
		pr := newProgress(stderr, *quiet)
		var sutLog *os.File
		p.SUTOutput = pr // its lines and the progress line share stderr, one at a time
		if *sutOutput == "file" {
			if err := os.MkdirAll(*out, 0o755); err != nil {
				return err
			}
			if sutLog, err = os.CreateTemp(*out, ".sut-*.log"); err != nil {
				return err
			}
			p.SUTOutput = sutLog
		}
		runCtx, cancel := ctx, context.CancelFunc(func() {})
		if *timeout > 0 {
			runCtx, cancel = context.WithTimeoutCause(ctx, *timeout, fmt.Errorf("the run took longer than --timeout %s", *timeout))
		}
		log.Info("run starts", "scenario", sc.Name, "file", sc.File, "backend", *backend, "short", *short)
		p.OnPhase = func(name string) { log.Info("phase", "scenario", sc.Name, "phase", name); pr.phase(name) }
		p.OnProgress = pr.tick
		p.OnFault = func(e record.FaultEvent) {
			log.Info("fault", "scenario", sc.Name, "fault", e.Fault, "action", e.Action, "target", e.Target, "detail", e.Detail, "error", e.Error)
		}
		rec, err := harness.Run(runCtx, p)
		cancel()
		pr.done()
		log.Info("run ends", "scenario", sc.Name, "status", rec.Status, "seed", rec.Seed, "error", rec.Error)
		var verdicts []assertions.Verdict
		if rec.Status == record.StatusCompleted {
			verdicts = assertions.Evaluate(rec, sc.Assertions)
		}
		dir := runDir(*out, rec)
		if sutLog != nil {
			if werr := keepSUTLog(sutLog, dir, rec); werr != nil {
				return errors.Join(err, werr)
			}
		}
		journal := reports.NewJournal(rec, verdicts)
		if _, werr := reports.WriteAll(dir, journal); werr != nil {
			return errors.Join(err, werr)
		}
		if *push != "" {
			if perr := reports.Push(ctx, *push, journal); perr != nil {
				log.Error("push", "scenario", sc.Name, "error", perr)
				fmt.Fprintf(stderr, "shakedown: %v\n", perr)
			}
		}
		fmt.Fprintf(stdout, "%s: report %s (seed %d; replay: %s)\n", sc.Name, filepath.Join(dir, reports.HTML{}.File()), rec.Seed, rec.Command)
		if rec.Status == record.StatusAborted {
			return abortedError{fmt.Errorf("%s: %w", sc.Name, err)}
		}
		if err != nil {
			return err
		}
		for _, v := range verdicts {
			fmt.Fprintf(stdout, "  %-17s %s\n", v.Status, v.Explanation)
			if !v.Passed() {
				failed++
			}
		}
	}
	if failed > 0 {
		return verdictError{failed}
	}
	return nil
}

// progress prints a run's progress on stderr: on a terminal one line rewritten every second, else
// (a CI log) a line every 10 seconds.
type progress struct {
	w       io.Writer
	quiet   bool
	tty     bool
	mu      sync.Mutex
	printed time.Time
	open    bool // a rewritten line is on screen
}

func newProgress(w io.Writer, quiet bool) *progress {
	p := &progress{w: w, quiet: quiet}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			p.tty = true
		}
	}
	return p
}

// Write writes a SUT's output to stderr, clearing a rewritten progress line first, so that the
// two do not mix.
func (p *progress) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clear()
	return p.w.Write(b)
}

func (p *progress) phase(name string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clear()
	fmt.Fprintf(p.w, "phase %s\n", name)
}

func (p *progress) tick(pr harness.Progress) {
	if p.quiet {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case p.tty:
		fmt.Fprintf(p.w, "\r\033[K%s", pr)
		p.open = true
	case time.Since(p.printed) >= 10*time.Second:
		fmt.Fprintln(p.w, pr)
		p.printed = time.Now()
	}
}

func (p *progress) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clear()
}

func (p *progress) clear() {
	if p.open {
		fmt.Fprint(p.w, "\r\033[K")
		p.open = false
	}
}

// newLogger returns the run's logger: slog on stderr, text or JSON, from level.
func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q; want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q; want text or json", format)
}

// keepSUTLog moves the SUT's output into the run's folder as sut.log, and names it in the record
// for the report's link; an empty one (a builtin or a URL SUT prints nothing here) is removed.
func keepSUTLog(f *os.File, dir string, rec *record.Record) error {
	st, err := f.Stat()
	f.Close()
	if err != nil || st.Size() == 0 {
		return errors.Join(err, os.Remove(f.Name()))
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), filepath.Join(dir, "sut.log")); err != nil {
		return err
	}
	rec.Env.SUTLog = "sut.log"
	return nil
}

// replayLine formats the command that replays a run of file: shakedown run with the seed the run
// drew and every flag given that changes what runs (--backend, --short, --staging, each
// --allow-target), not those that only change where output goes.
func replayLine(fs *flag.FlagSet, file string) func(seed uint64) string {
	changes := map[string]bool{"backend": true, "short": true, "staging": true, "allow-target": true}
	return func(seed uint64) string {
		args := []string{"shakedown", "run", file, "--seed", strconv.FormatUint(seed, 10)}
		fs.Visit(func(f *flag.Flag) {
			if !changes[f.Name] {
				return
			}
			if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
				if f.Value.String() == "true" {
					args = append(args, "--"+f.Name)
				}
				return
			}
			if l, ok := f.Value.(*stringList); ok {
				for _, v := range *l {
					args = append(args, "--"+f.Name, v)
				}
				return
			}
			args = append(args, "--"+f.Name, f.Value.String())
		})
		return strings.Join(args, " ")
	}
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

// runDir is DIR/<scenario>-<time>, the folder of a run's journal and reports.
func runDir(out string, rec *record.Record) string {
	return filepath.Join(out, fmt.Sprintf("%s-%s", safeName(rec.Scenario.Name), rec.Started.UTC().Format("20060102T150405Z")))
}

func safeName(s string) string {
	b := []rune(s)
	for i, r := range b {
		if !(r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			b[i] = '-'
		}
	}
	return string(b)
}
