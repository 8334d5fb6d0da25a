package main

import (
	"bufio"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shakedown-dev/shakedown/harness/record"
	"github.com/shakedown-dev/shakedown/reports"
)

// TestMain runs the command itself when a test re-executes this binary as the CLI.
func TestMain(m *testing.M) {
	if args := os.Getenv("SHAKEDOWN_TEST_CLI"); args != "" {
		os.Args = append([]string{"shakedown"}, strings.Split(args, "\x1f")...)
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
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
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "SHAKEDOWN_STATE_DIR="+state,
		"SHAKEDOWN_TEST_CLI="+strings.Join([]string{"run", file, "--out", dir}, "\x1f"))
	stderr, _ := cmd.StderrPipe()
	var stdout strings.Builder
	cmd.Stdout = &stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stderr)
	for sc.Scan() && sc.Text() != "phase fault" {
	}
	cmd.Process.Signal(syscall.SIGINT)
	go func() {
		for sc.Scan() {
		}
	}()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("shakedown run did not stop within 30s of SIGINT")
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != exitAborted {
		t.Errorf("exit = %v; want status %d (aborted); stdout:\n%s", err, exitAborted, stdout.String())
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
