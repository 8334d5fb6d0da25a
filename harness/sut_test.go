package harness

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/shakedown-dev/shakedown/scenarios"
	"github.com/shakedown-dev/shakedown/service"
	"github.com/shakedown-dev/shakedown/units"
)

func readyScenario(sut scenarios.SUT) *scenarios.Scenario {
	sut.ReadyTimeout = units.Duration(2 * time.Second)
	return &scenarios.Scenario{Name: "start-up", SUT: sut,
		Environment: scenarios.Environment{Services: []string{service.Redis}, Backend: service.BackendLocal},
		Load:        scenarios.LoadSpec{Rate: units.Rate{Freq: 1, Per: time.Second}, Targets: []scenarios.LoadTarget{{URL: "/"}}},
		Phases:      scenarios.Phases{Fault: units.Duration(time.Second)}}
}

// TestSUTDeathReportedAtOnce: a command that dies at start-up is reported as soon as it exits,
// with its exit status and its last lines, not after the readiness timeout.
func TestSUTDeathReportedAtOnce(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("-short: no servers")
	}
	sc := readyScenario(scenarios.SUT{Command: []string{"sh", "-c", `echo "config: DB_HOST is not set" >&2; exit 3`}})
	sc.SUT.ReadyTimeout = units.Duration(time.Minute)
	start := time.Now()
	var out strings.Builder
	rec, err := run(context.Background(), sc, RunOptions{StateDir: t.TempDir(), SUTOutput: &out})
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("the death was reported after %v; want at once (the readiness timeout is 1m)", took)
	}
	if err == nil || !strings.Contains(err.Error(), "died before it was ready") || !strings.Contains(err.Error(), "exit status 3") ||
		!strings.Contains(err.Error(), "config: DB_HOST is not set") {
		t.Errorf("Run = %v; want the death with its exit status and last line", err)
	}
	if !strings.Contains(out.String(), "config: DB_HOST is not set") {
		t.Errorf("the SUT's output went elsewhere: %q", out.String())
	}
	if rec == nil || rec.Error == "" {
		t.Errorf("the record does not say why the run failed: %+v", rec)
	}
}

// TestReadinessWaitTalliesAnswers: a wait that runs out says what it was answered and how often.
func TestReadinessWaitTalliesAnswers(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("-short: no servers")
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusUnauthorized) }))
	defer srv.Close()
	_, err := run(context.Background(), readyScenario(scenarios.SUT{URL: srv.URL}), RunOptions{StateDir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "it answered 401 Unauthorized") || !strings.Contains(err.Error(), " times") {
		t.Errorf("Run = %v; want the wait to say it was answered 401 Unauthorized, and how often", err)
	}
}
