package harness

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

const helperEnv = "SHAKEDOWN_TEST_HELPER_HARNESS"

// helperHarness is the child of TestSweepAfterSIGKILL: it starts an environment, says what it
// started, and waits to be killed.
func helperHarness() {
	e, err := StartEnv(context.Background(), EnvSpec{Backend: BackendLocal, StateDir: os.Getenv(helperEnv), Services: []string{Postgres, Redis}})
	if err != nil {
		fmt.Println("ERROR", err)
		os.Exit(1)
	}
	pg, _ := e.Service(Postgres)
	rs, _ := e.Service(Redis)
	fmt.Printf("READY %d %d %s\n", pg.proc.pid(), rs.proc.pid(), filepath.Dir(pg.dataDir))
	select {}
}

// TestSweepAfterSIGKILL starts a child harness, kills it with SIGKILL, and checks that the next
// start sweeps what it left: its servers are dead and its folders gone.
func TestSweepAfterSIGKILL(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("-short: no servers")
	}
	state := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+state)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	f := strings.Fields(line)
	if err != nil || len(f) != 4 || f[0] != "READY" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("child harness said %q (%v)", line, err)
	}
	pgPid, _ := strconv.Atoi(f[1])
	redisPid, _ := strconv.Atoi(f[2])
	pgDir := f[3]

	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	if runs, _ := os.ReadDir(filepath.Join(state, "runs")); len(runs) != 1 {
		t.Fatalf("after SIGKILL: %d run folders; want the dead run's 1", len(runs))
	}

	stale, err := Sweep(state)
	if err != nil || len(stale) != 1 || len(stale[0].TempDirs) != 1 || stale[0].TempDirs[0] != pgDir {
		t.Fatalf("Sweep = %+v, %v; want the dead run with its Postgres folder %s", stale, err, pgDir)
	}
	// The servers died with their parent (Pdeathsig) or by the sweep's SIGKILL; either way they go.
	deadline := time.Now().Add(10 * time.Second)
	for _, pid := range []int{pgPid, redisPid} {
		for alive(pid) && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond) // a killed process is reaped by init: nothing to wait on
		}
		if alive(pid) {
			t.Errorf("server %d outlived the killed harness", pid)
		}
	}
	assertGone(t, state, nil, pgDir)

	// Starting again finds nothing stale.
	e := startLocal(t, EnvSpec{Services: []string{Redis}, StateDir: state})
	if again, err := Sweep(state); err != nil || len(again) != 0 {
		t.Errorf("Sweep with a live run = %+v, %v; want nothing", again, err)
	}
	_ = e
}
