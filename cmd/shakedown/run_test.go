package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shakedown-dev/shakedown/assertions"
	"github.com/shakedown-dev/shakedown/env/kube/kubetest"
	"github.com/shakedown-dev/shakedown/harness"
	"github.com/shakedown-dev/shakedown/harness/harnesstest"
	"github.com/shakedown-dev/shakedown/record"
	"github.com/shakedown-dev/shakedown/reports"
)

// TestMain runs the command itself when a test re-executes this binary as the CLI.
func TestMain(m *testing.M) {
	if os.Getenv("SHAKEDOWN_TEST_SUT") != "" { // a service that logs every request, as Gin does
		http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
			fmt.Println("[GIN]", r.Method, r.URL.Path)
		}))
		os.Exit(1)
	}
	if args := os.Getenv("SHAKEDOWN_TEST_CLI"); args != "" {
		os.Args = append([]string{"shakedown"}, strings.Split(args, "\x1f")...)
		main()
		os.Exit(0)
	}
	os.Exit(kubetest.Main(m))
}

// TestRunCtrlC interrupts `shakedown run` during the fault phase with SIGINT: it exits 4, the
// record is written and marked aborted, the fault was removed, and nothing of the environment is
// left in its state directory.
func TestRunCtrlC(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no servers")
	}
	sut := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer sut.Close()
	dir, state := t.TempDir(), t.TempDir()
	file := filepath.Join(dir, "long.yaml")
	os.WriteFile(file, []byte(fmt.Sprintf(`name: long
environment: {services: [redis], backend: local}
sut: {url: %s}
load: {rate: 20/s, targets: [{url: /work}]}
phases: {warmup: 1s, fault: 60s, recovery: 1s}
faults:
  - {name: slow-redis, type: latency, target: redis, latency: 100ms}
`, sut.URL)), 0o644)
	err := interruptOnFault(t, []string{"SHAKEDOWN_STATE_DIR=" + state}, []string{"run", file, "--out", dir, "--log-level", "info"}, func() {})
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != exitAborted {
		t.Errorf("exit = %v; want status %d (aborted)", err, exitAborted)
	}
	paths, _ := filepath.Glob(filepath.Join(dir, "long-*", "journal.json"))
	if len(paths) != 1 {
		t.Fatalf("journals written: %v; want one", paths)
	}
	j, err := reports.ReadJournalFile(paths[0])
	if err != nil {
		t.Fatal(err)
	}
	rec := j.Record
	for _, other := range []string{"report.html", "junit.xml"} {
		if _, err := os.Stat(filepath.Join(filepath.Dir(paths[0]), other)); err != nil {
			t.Errorf("the aborted run's %s: %v", other, err)
		}
	}
	if rec.Status != record.StatusAborted || len(rec.FaultWindows()) != 1 || rec.Faults[len(rec.Faults)-1].Action != record.FaultRemoved {
		t.Errorf("record: status %s, faults %+v; want aborted with the fault removed", rec.Status, rec.Faults)
	}
	if runs, _ := os.ReadDir(filepath.Join(state, "runs")); len(runs) != 0 {
		t.Errorf("%d run folders left in the state directory", len(runs))
	}
}

// TestRunExitCodes: a verdict that fails is exit 1, an environment that cannot start exit 3, and a
// run longer than --timeout is aborted (exit 4) with its journal written and marked so. The
// command line and harnesstest judge alike (harness.Run's one rule): the completed run has the
// same verdicts in the command's journal as in harnesstest's result, and the aborted run none in
// either (harnesstest fails the test instead).
func TestRunExitCodes(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no servers")
	}
	t.Setenv("SHAKEDOWN_STATE_DIR", t.TempDir())
	sut := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer sut.Close()
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name+".yaml")
		os.WriteFile(p, []byte(body), 0o644)
		return p
	}
	base := fmt.Sprintf("environment: {services: [redis], backend: local}\nsut: {url: %s, ready: /}\nload: {rate: 20/s, targets: [{url: /}]}\n", sut.URL)
	failing := write("failing", "name: failing\n"+base+`phases: {warmup: 1s, fault: 1s, recovery: 1s}
assertions:
  - {name: impossible throughput, type: throughput, min: 100%, min_samples: 1}
  - {name: too many samples, type: availability, min: 99%, min_samples: 100000}
`)
	long := write("long", "name: long\n"+base+"phases: {warmup: 1s, fault: 60s, recovery: 1s}\nassertions: [{name: up, type: availability, min: 50%}]\n")
	noImage := write("noimage", "name: noimage\n"+strings.Replace(base, "backend: local", "backend: docker, images: {redis: shakedown/absent:never}", 1)+"phases: {warmup: 1s, fault: 1s, recovery: 1s}\n")

	var out strings.Builder
	err := run(context.Background(), []string{"run", failing, "--out", dir, "--quiet", "--seed", "7"}, &out, io.Discard)
	if exitCode(err) != exitVerdict || !strings.Contains(out.String(), "insufficient-data too many samples") {
		t.Errorf("a failing verdict: %v (exit %d); want exit 1\n%s", err, exitCode(err), out.String())
	}
	cli := journalOf(t, dir, "failing")
	res := harnesstest.RunFile(t, failing, harness.RunOptions{Seed: 7})
	if got, want := judged(res.Verdicts), judged(cli.Verdicts); got != want || want == "" {
		t.Errorf("a completed run: harnesstest judged %s; the command %s; want the same verdicts", got, want)
	}

	err = run(context.Background(), []string{"run", long, "--out", dir, "--quiet", "--timeout", "3s"}, io.Discard, io.Discard)
	if exitCode(err) != exitAborted || !strings.Contains(err.Error(), "--timeout 3s") {
		t.Errorf("a run past its timeout: %v (exit %d); want exit 4 naming the timeout", err, exitCode(err))
	}
	if j := journalOf(t, dir, "long"); j.Record.Status != record.StatusAborted || judged(j.Verdicts) != "up=not-run" {
		t.Errorf("the timed-out run's journal: %s with verdicts %s; want it marked aborted, its assertion not run", j.Record.Status, judged(j.Verdicts))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	tb := &fatalTB{TB: t, ctx: ctx, fatal: make(chan string, 1)}
	got := make(chan *harness.Result, 1)
	go func() { got <- harnesstest.RunFile(tb, long, harness.RunOptions{}) }()
	select {
	case msg := <-tb.fatal:
		if !strings.Contains(msg, "run aborted") {
			t.Errorf("harnesstest on a run past its deadline failed the test with %q; want it to say the run was aborted", msg)
		}
	case res := <-got:
		t.Errorf("harnesstest on a run past its deadline returned %d verdicts (status %s); want the test failed, no verdict", len(res.Verdicts), res.Record.Status)
	}
	if dockerAvailable() {
		err = run(context.Background(), []string{"run", noImage, "--out", dir, "--quiet"}, io.Discard, io.Discard)
		if exitCode(err) != exitEnv {
			t.Errorf("an image that is not here: %v (exit %d); want exit 3", err, exitCode(err))
		}
	}
}

// journalOf reads the one journal of the scenario name in dir.
func journalOf(t *testing.T, dir, name string) *reports.Journal {
	t.Helper()
	paths, _ := filepath.Glob(filepath.Join(dir, name+"-*", "journal.json"))
	if len(paths) != 1 {
		t.Fatalf("journals of %s: %v; want one", name, paths)
	}
	j, err := reports.ReadJournalFile(paths[0])
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// judged lists verdicts as "name=status", in order.
func judged(vs []assertions.Verdict) string {
	var parts []string
	for _, v := range vs {
		parts = append(parts, fmt.Sprintf("%s=%s", v.Name, v.Status))
	}
	return strings.Join(parts, ", ")
}

// fatalTB is a test whose context is ctx and whose Fatalf is caught: it sends the message on fatal
// and ends the goroutine, as t.Fatalf does.
type fatalTB struct {
	testing.TB
	ctx   context.Context
	fatal chan string
}

func (f *fatalTB) Context() context.Context { return f.ctx }
func (f *fatalTB) Fatalf(format string, args ...any) {
	f.fatal <- fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func dockerAvailable() bool { return exec.Command("docker", "info").Run() == nil }

// TestSUTOutputInTheRunFolder: a command SUT's output goes to sut.log in the run's folder, linked
// from the report, not over the progress line; with --sut-output stderr it goes to stderr.
func TestSUTOutputInTheRunFolder(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no servers")
	}
	t.Setenv("SHAKEDOWN_STATE_DIR", t.TempDir())
	t.Setenv("SHAKEDOWN_TEST_SUT", "1")
	dir := t.TempDir()
	file := filepath.Join(dir, "gin.yaml")
	os.WriteFile(file, []byte(fmt.Sprintf(`name: gin
environment: {services: [redis], backend: local}
sut: {command: [%q, "-test.run=^$"], ready: /}
load: {rate: 20/s, targets: [{url: /work}]}
phases: {warmup: 1s, fault: 1s, recovery: 1s}
`, os.Args[0])), 0o644)

	var stderr strings.Builder
	if err := run(context.Background(), []string{"run", file, "--out", dir, "--quiet"}, io.Discard, &stderr); err != nil {
		t.Fatal(err)
	}
	logs, _ := filepath.Glob(filepath.Join(dir, "gin-*", "sut.log"))
	if len(logs) != 1 {
		t.Fatalf("sut.log in the run folder: %v; want one", logs)
	}
	b, _ := os.ReadFile(logs[0])
	if strings.Count(string(b), "[GIN] GET /work") < 20 || strings.Contains(stderr.String(), "[GIN]") {
		t.Errorf("sut.log holds %d request lines, stderr %d; want them all in sut.log", strings.Count(string(b), "[GIN]"), strings.Count(stderr.String(), "[GIN]"))
	}
	html, _ := os.ReadFile(filepath.Join(filepath.Dir(logs[0]), "report.html"))
	if !strings.Contains(string(html), `<a href="sut.log">sut.log</a>`) {
		t.Error("the report does not link sut.log")
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".sut-*")); len(left) != 0 {
		t.Errorf("temporary logs left: %v", left)
	}

	// A Gin service would print over the progress line here; on request it does.
	stderr.Reset()
	out2 := t.TempDir()
	if err := run(context.Background(), []string{"run", file, "--out", out2, "--quiet", "--sut-output", "stderr"}, io.Discard, &stderr); err != nil {
		t.Fatal(err)
	}
	if logs, _ := filepath.Glob(filepath.Join(out2, "gin-*", "sut.log")); len(logs) != 0 || !strings.Contains(stderr.String(), "[GIN] GET /work") {
		t.Errorf("--sut-output stderr: sut.log %v, stderr has the requests: %v", logs, strings.Contains(stderr.String(), "[GIN]"))
	}
}

// interruptOnFault runs the command (args, with env added to this one's) as a child process,
// waits until it logged a fault applied, calls applied, sends SIGINT, and returns how it exited
// (within 30 s).
func interruptOnFault(t *testing.T, env, args []string, applied func()) error {
	t.Helper()
	return signalOnFault(t, syscall.SIGINT, env, args, applied)
}

// signalOnFault is interruptOnFault with the signal sig.
func signalOnFault(t *testing.T, sig syscall.Signal, env, args []string, applied func()) error {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(append(os.Environ(), env...), "SHAKEDOWN_TEST_CLI="+strings.Join(args, "\x1f"))
	stderr, _ := cmd.StderrPipe()
	var stdout strings.Builder
	cmd.Stdout = &stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	sc := bufio.NewScanner(stderr)
	for sc.Scan() && !(strings.Contains(sc.Text(), "msg=fault") && strings.Contains(sc.Text(), "action=applied")) {
	} // the fault is applied: its log line is written once the scheduler recorded it
	applied()
	cmd.Process.Signal(sig)
	go func() {
		for sc.Scan() {
		}
	}()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Logf("stdout:\n%s", stdout.String())
		}
		return err
	case <-time.After(30 * time.Second):
		t.Fatalf("shakedown run did not stop within 30s of %v", sig)
		return nil
	}
}
