package env

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

	"github.com/shakedown-dev/shakedown/service"
)

const helperEnv = "SHAKEDOWN_TEST_HELPER_HARNESS"

// helperHarness is the child of the SIGKILL tests: it starts an environment on the backend named
// by SHAKEDOWN_TEST_HELPER_BACKEND, says what it started, and waits to be killed.
func helperHarness() {
	backend := os.Getenv("SHAKEDOWN_TEST_HELPER_BACKEND")
	e, err := Start(context.Background(), Spec{Backend: backend, StateDir: os.Getenv(helperEnv), Services: []string{service.Postgres, service.Redis}})
	if err != nil {
		fmt.Println("ERROR", err)
		os.Exit(1)
	}
	if backend == service.BackendDocker {
		fmt.Println("READY 0 0 -")
	} else {
		pg, _ := e.Service(service.Postgres)
		rs, _ := e.Service(service.Redis)
		fmt.Printf("READY %d %d %s\n", localPid(pg), localPid(rs), filepath.Dir(pg.dataDir))
	}
	select {}
}

// killedHelper starts a child harness on backend, waits until it is ready, kills it with SIGKILL
// and returns what it said it started.
func killedHelper(t *testing.T, state, backend string) []string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+state, "SHAKEDOWN_TEST_HELPER_BACKEND="+backend)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	f := strings.Fields(line)
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	if err != nil || len(f) != 4 || f[0] != "READY" {
		t.Fatalf("child harness said %q (%v)", line, err)
	}
	return f
}

// TestSweepContainersAfterSIGKILL: containers outlive a killed harness (nothing ties them to it
// but their labels); the next start on docker removes them. Not parallel: it counts every
// labelled container, so it runs before the parallel tests start theirs.
func TestSweepContainersAfterSIGKILL(t *testing.T) {
	e0 := startOn(t, Spec{Backend: service.BackendDocker, Services: []string{service.Redis}}) // skips where docker cannot run
	e0.Close(context.Background())
	state := t.TempDir()
	killedHelper(t, state, service.BackendDocker)
	if n := labelled(t); n != 2 {
		t.Fatalf("after SIGKILL: %d labelled containers; want the dead run's 2", n)
	}
	startOn(t, Spec{Backend: service.BackendDocker, Services: []string{service.Redis}, StateDir: state})
	if n := labelled(t); n != 1 {
		t.Errorf("after the next start: %d labelled containers; want only its own 1", n)
	}
}

// labelled counts the containers with the harness's run label.
func labelled(t *testing.T) int {
	t.Helper()
	out, err := exec.Command("docker", "ps", "-aq", "--filter", "label="+labelRun).Output()
	if err != nil {
		t.Fatal(err)
	}
	return len(strings.Fields(string(out)))
}

// TestSweepAfterSIGKILL starts a child harness, kills it with SIGKILL, and checks that the next
// start sweeps what it left: its servers are dead and its folders gone.
func TestSweepAfterSIGKILL(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("-short: no servers")
	}
	state := t.TempDir()
	f := killedHelper(t, state, service.BackendLocal)
	pgPid, _ := strconv.Atoi(f[1])
	redisPid, _ := strconv.Atoi(f[2])
	pgDir := f[3]

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
	e := startLocal(t, Spec{Services: []string{service.Redis}, StateDir: state})
	if again, err := Sweep(state); err != nil || len(again) != 0 {
		t.Errorf("Sweep with a live run = %+v, %v; want nothing", again, err)
	}
	_ = e
}

// TestNothingLeftBehindDocker: a start-up that fails half-way on docker (the third container
// never gets ready) removes the containers it had started.
func TestNothingLeftBehindDocker(t *testing.T) {
	startOn(t, Spec{Backend: service.BackendDocker, Services: []string{service.Redis}}).Close(context.Background()) // skips where docker cannot run
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	// Redis's image where Ollama's should be: it never answers GET /api/version.
	_, err := Start(ctx, Spec{Backend: service.BackendDocker, StateDir: t.TempDir(),
		Images: service.Images{Ollama: os.Getenv(service.ImageVar(service.Redis))}})
	if err == nil || !strings.Contains(err.Error(), "ollama from image") {
		t.Fatalf("StartEnv with a wrong Ollama image = %v; want its failure", err)
	}
	if n := labelled(t); n != 0 {
		t.Errorf("%d labelled containers after a failed start-up; want 0", n)
	}
}
