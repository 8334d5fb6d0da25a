package env

import (
	"context"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/shakedown-dev/shakedown/mock/ollama"
	"github.com/shakedown-dev/shakedown/service"
)

// engine returns a client of the Docker engine, closed with the test; the test is skipped under
// -short and where no engine answers.
func engine(t *testing.T) *client.Client {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: no servers")
	}
	cli, err := dockerClient(context.Background())
	if err != nil {
		t.Skipf("docker backend: %v", err)
	}
	t.Cleanup(func() { cli.Close() })
	return cli
}

// TestDockerBackendRefusesWithoutProcessSettings: a process that did not set testcontainers-go's
// settings (no SetProcessDefaults, no variables) is refused at once on the docker backend, naming
// the variable, where testcontainers-go would otherwise retry for minutes: Ryuk on without its
// image, and, inside a container, no host override. The child harness is this test binary run
// again without the two variables.
func TestDockerBackendRefusesWithoutProcessSettings(t *testing.T) {
	t.Parallel()
	engine(t) // skips where no engine answers
	without := func(names ...string) []string {
		return slices.DeleteFunc(os.Environ(), func(kv string) bool {
			return slices.ContainsFunc(names, func(n string) bool { return strings.HasPrefix(kv, n+"=") })
		})
	}
	child := func(environ []string) (string, time.Duration) {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(environ, helperEnv+"="+t.TempDir(), "SHAKEDOWN_TEST_HELPER_BACKEND="+service.BackendDocker)
		start := time.Now()
		out, _ := cmd.CombinedOutput()
		return string(out), time.Since(start)
	}
	cases := []struct{ unset, want string }{{"TESTCONTAINERS_RYUK_DISABLED", "set TESTCONTAINERS_RYUK_DISABLED=true"}}
	if _, err := os.Stat("/.dockerenv"); err == nil {
		cases = append(cases, struct{ unset, want string }{"TESTCONTAINERS_HOST_OVERRIDE", "set TESTCONTAINERS_HOST_OVERRIDE"})
	}
	for _, c := range cases {
		out, took := child(without(c.unset))
		t.Logf("without %s (%v): %s", c.unset, took, out)
		if !strings.Contains(out, "ERROR") || !strings.Contains(out, c.want) || !strings.Contains(out, "backend unavailable") {
			t.Errorf("docker backend without %s: the child said %q; want a refusal containing %q", c.unset, out, c.want)
		}
		if took > 20*time.Second {
			t.Errorf("docker backend without %s: refused after %v; want at once", c.unset, took)
		}
	}
}

// TestLocalImageFoundWithoutVariables: with no SHAKEDOWN_*_IMAGE set and the official image
// absent (no registry here), the docker backend uses the image make images built, and says so.
// Not parallel: it unsets the variables make test sets.
func TestLocalImageFoundWithoutVariables(t *testing.T) {
	cli := engine(t)
	if _, err := cli.ImageInspect(context.Background(), service.DefaultImage(service.Redis)); err == nil {
		t.Skipf("%s is here: nothing to fall back from", service.DefaultImage(service.Redis))
	}
	if _, err := cli.ImageInspect(context.Background(), service.LocalImage(service.Redis)); err != nil {
		t.Skipf("%s is not here (make images builds it)", service.LocalImage(service.Redis))
	}
	t.Setenv(service.ImageVar(service.Redis), "")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	e, err := Start(ctx, Spec{Backend: service.BackendDocker, Services: []string{service.Redis}, StateDir: t.TempDir()})
	if err != nil {
		t.Fatalf("Start without %s: %v", service.ImageVar(service.Redis), err)
	}
	defer e.Close(context.Background())
	rs := mustService(t, e, service.Redis)
	if want := service.LocalImage(service.Redis) + ", which make images built"; !strings.Contains(rs.Version, want) {
		t.Errorf("Version = %q; want it to name %q", rs.Version, want)
	}
}

// TestMockArgs: the mock Ollama container gets the seed, and the timing and scheduler a
// scenario sets, as the binary's flags; unset ones are left to its defaults.
func TestMockArgs(t *testing.T) {
	t.Parallel()
	if got := strings.Join(mockArgs(ollama.Config{Seed: 7}), " "); got != "--seed 7" {
		t.Errorf("defaults: %q; want only the seed", got)
	}
	got := strings.Join(mockArgs(ollama.Config{Seed: 1, TimeToFirstToken: 200 * time.Millisecond, TokenInterval: 20 * time.Millisecond,
		LoadDuration: 2 * time.Second, KeepAlive: time.Minute, NumParallel: -1, MaxQueue: 4}), " ")
	if want := "--seed 1 --ttft 200ms --token-interval 20ms --load-duration 2s --keep-alive 1m0s --num-parallel -1 --max-queue 4"; got != want {
		t.Errorf("mockArgs = %q; want %q", got, want)
	}
}
