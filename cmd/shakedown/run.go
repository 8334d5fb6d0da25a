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
	"time"

	"github.com/shakedown-dev/shakedown/env/kube"
	"github.com/shakedown-dev/shakedown/harness"
	"github.com/shakedown-dev/shakedown/internal/builtins"
	"github.com/shakedown-dev/shakedown/record"
	"github.com/shakedown-dev/shakedown/reports"
	"github.com/shakedown-dev/shakedown/scenarios"
)

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

// runFlags are the run command's flags that change how each run goes and where it is written.
type runFlags struct {
	out, sutOutput, push string
	quiet                bool
	timeout              time.Duration
	log                  *slog.Logger
}

func runCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, runHelp); fs.PrintDefaults() }
	seed := fs.Uint64("seed", 0, "seed of every random decision (0: the scenario's, else a random one)")
	backend := fs.String("backend", "", "override the scenario's backend: auto, local, docker, external or kubernetes")
	var rf runFlags
	fs.StringVar(&rf.out, "out", "out", "folder for the records")
	fs.BoolVar(&rf.quiet, "quiet", false, "no progress lines")
	fs.StringVar(&rf.sutOutput, "sut-output", "file", "where a command SUT's output goes: file (sut.log in the run's folder, linked from the report) or stderr")
	fs.StringVar(&rf.push, "push", "", "push each run's results to this Prometheus Pushgateway (http://host:9091)")
	fs.DurationVar(&rf.timeout, "timeout", 0, "stop a run that takes longer (it is aborted: faults removed, journal written); 0: none")
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
	if rf.sutOutput != "file" && rf.sutOutput != "stderr" {
		return usagef("run: --sut-output %q; want file or stderr", rf.sutOutput)
	}
	if rf.log, err = newLogger(stderr, *logFormat, *logLevel); err != nil {
		return usagef("run: %v", err)
	}
	// The runs go one after another; each waits, before its load, for what its start-up left
	// running on the machine to die down.
	gate := &harness.Gate{Settle: harness.MachineSettled}
	var st *scenarios.Staging
	if *staging != "" {
		if st, err = scenarios.LoadStaging(*staging); err != nil {
			fmt.Fprintln(stdout, err)
			return usagef("run: %s is invalid", *staging)
		}
		allow = append(allow, st.AllowTargets...)
		if rf.push == "" {
			rf.push = st.Push
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
			Builtins: builtins.Reference(), Replay: replayLine(fs, f), Kubernetes: kf.backend(), Gate: gate})
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
		res, err := runOne(ctx, p, rf, stdout, stderr)
		if err != nil {
			return err
		}
		for _, v := range res.Verdicts {
			fmt.Fprintf(stdout, "  %-17s %s\n", v.Status, v.Explanation)
		}
		failed += len(res.Failed())
	}
	if failed > 0 {
		return verdictError{failed}
	}
	return nil
}

// runOne runs one plan with a progress line on stderr, writes its journal and reports to a folder
// of its own under --out (and pushes them with --push), and says where they are. The error is
// the run's (an aborted run's is an abortedError) or the writing's.
func runOne(ctx context.Context, p *harness.Plan, rf runFlags, stdout, stderr io.Writer) (*harness.Result, error) {
	sc := p.Scenario()
	fmt.Fprintf(stderr, "running %s (%s)\n", sc.Name, p.Total())
	pr := newProgress(stderr, rf.quiet)
	var sutOut io.Writer = pr // its lines and the progress line share stderr, one at a time
	var sutLog *os.File
	if rf.sutOutput == "file" {
		if err := os.MkdirAll(rf.out, 0o755); err != nil {
			return nil, err
		}
		var err error
		if sutLog, err = os.CreateTemp(rf.out, ".sut-*.log"); err != nil {
			return nil, err
		}
		sutOut = sutLog
	}
	runCtx, cancel := ctx, context.CancelFunc(func() {})
	if rf.timeout > 0 {
		runCtx, cancel = context.WithTimeoutCause(ctx, rf.timeout, fmt.Errorf("the run took longer than --timeout %s", rf.timeout))
	}
	log := rf.log.With("scenario", sc.Name)
	log.Info("run starts", "file", sc.File, "backend", p.Backend(), "seed", p.Seed())
	res, err := harness.Run(runCtx, p, harness.ObserverFuncs{
		Phase:    func(name string) { log.Info("phase", "phase", name); pr.phase(name) },
		Progress: pr.tick,
		Fault: func(e record.FaultEvent) {
			log.Info("fault", "fault", e.Fault, "action", e.Action, "target", e.Target, "detail", e.Detail, "error", e.Error)
		},
		SUTOutput: func(b []byte) { sutOut.Write(b) },
	})
	cancel()
	pr.done()
	rec := res.Record
	log.Info("run ends", "status", rec.Status, "seed", rec.Seed, "error", rec.Error)
	dir := runDir(rf.out, rec)
	if sutLog != nil {
		if werr := keepSUTLog(sutLog, dir, rec); werr != nil {
			return res, errors.Join(err, werr)
		}
	}
	journal := reports.NewJournal(rec, res.Verdicts)
	if _, werr := reports.WriteAll(dir, journal); werr != nil {
		return res, errors.Join(err, werr)
	}
	if rf.push != "" {
		if perr := reports.Push(ctx, rf.push, journal); perr != nil {
			log.Error("push", "error", perr)
			fmt.Fprintf(stderr, "shakedown: %v\n", perr)
		}
	}
	fmt.Fprintf(stdout, "%s: report %s (seed %d; replay: %s)\n", sc.Name, filepath.Join(dir, reports.HTML{}.File()), rec.Seed, rec.Command)
	if rec.Status == record.StatusAborted {
		return res, abortedError{fmt.Errorf("%s: %w", sc.Name, err)}
	}
	return res, err
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
