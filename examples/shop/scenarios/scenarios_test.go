package scenarios_test

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/shakedown-dev/shakedown/env"
	"github.com/shakedown-dev/shakedown/harness"
	"github.com/shakedown-dev/shakedown/harness/harnesstest"
)

// TestMain builds the shop once, as its team would ship it, for the scenarios to start as a
// command; the scenarios find it, the API key and the metrics token in the environment
// (${SHOP_BIN}, ${SHOP_API_KEY}, ${SHOP_METRICS_TOKEN}), as a CI job would give them.
func TestMain(m *testing.M) {
	flag.Parse()
	env.SetProcessDefaults() // the test binary's own process: testcontainers-go's settings
	if testing.Short() {
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "shop-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin := filepath.Join(dir, "shop")
	build := exec.Command("go", "build", "-race", "-o", bin, "..")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build the shop:", err)
		os.Exit(1)
	}
	for k, v := range map[string]string{"SHOP_BIN": bin, "SHOP_API_KEY": "key-for-tests", "SHOP_METRICS_TOKEN": "metrics-for-tests"} {
		if os.Getenv(k) == "" {
			os.Setenv(k, v)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// TestScenarios runs the shop's scenarios, short forms, on each backend: the shop as its team
// wrote it (its own variables, a login, writes answered 200 with a JSON id, its own metric names,
// a gobreaker breaker, failsafe-go retries, SQL migrations), with no wrapper. Each verdict must
// come out as listed: most pass, and the ones that find a weakness of the shop fail.
func TestScenarios(t *testing.T) {
	for _, tt := range []struct {
		file     string
		fail     []string // the verdicts that find a weakness
		progress string   // a progress line says it
	}{
		{"redis-outage.yaml", []string{"no slow product list"}, "breakers: cache=open"},
		{"postgres-outage.yaml", []string{"orders taken during the outage"}, "faults: postgres-crash"},
		{"slow-database.yaml", nil, "faults: slow-postgres"},
	} {
		for _, b := range harnesstest.Backends(t) {
			t.Run(tt.file+"/"+b, func(t *testing.T) {
				log, err := os.Create(filepath.Join(t.ArtifactDir(), "shop.log")) // its request log, kept out of the test's output
				if err != nil {
					t.Fatal(err)
				}
				defer log.Close()
				t.Cleanup(func() {
					if t.Failed() {
						b, _ := os.ReadFile(log.Name())
						t.Logf("the shop's output (%s):\n%s", log.Name(), lastLines(string(b), 40))
					}
				})
				var mu sync.Mutex
				var lines []string
				res := harnesstest.RunFile(t, tt.file, harness.RunOptions{Backend: b, Short: true}, harness.ObserverFuncs{
					SUTOutput: func(b []byte) { log.Write(b) },
					Progress:  func(p harness.Progress) { mu.Lock(); lines = append(lines, p.String()); mu.Unlock() }})
				mu.Lock()
				if !slices.ContainsFunc(lines, func(l string) bool { return strings.Contains(l, tt.progress) }) {
					t.Errorf("no progress line says %q:\n%s", tt.progress, strings.Join(lines, "\n"))
				}
				mu.Unlock()
				for _, v := range res.Verdicts {
					t.Logf("%s: %s (%s)", v.Name, v.Status, v.Explanation)
				}
				var pass []string
				for _, v := range res.Verdicts {
					if !slices.Contains(tt.fail, v.Name) {
						pass = append(pass, v.Name)
					}
				}
				harnesstest.AssertPass(t, res.Verdicts, pass...)
				if len(tt.fail) > 0 {
					harnesstest.AssertFail(t, res.Verdicts, tt.fail...)
				}
			})
		}
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
