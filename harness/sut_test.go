package harness

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"

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
	rec, err := run(context.Background(), sc, RunOptions{StateDir: t.TempDir()}, sutOutput(&out))
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

const configSUTEnv = "SHAKEDOWN_TEST_CONFIG_SUT"

// configSUTMain is a service configured its own way (DB_HOST, DB_PORT, DB_USER, DB_PASSWORD,
// DB_NAME, REDIS_ADDR, LISTEN): it checks that Postgres and Redis answer with what it was given,
// writes what it saw to ./seen in its working folder, and serves on LISTEN.
func configSUTMain() {
	ctx := context.Background()
	dsn := fmt.Sprintf("postgres://%s:%s@%s:%s/%s?sslmode=disable", os.Getenv("DB_USER"), os.Getenv("DB_PASSWORD"), os.Getenv("DB_HOST"), os.Getenv("DB_PORT"), os.Getenv("DB_NAME"))
	var db string
	c, err := pgx.Connect(ctx, dsn)
	if err == nil {
		err = c.QueryRow(ctx, "SELECT current_database()").Scan(&db)
		c.Close(ctx)
	}
	if err == nil {
		err = redis.NewClient(&redis.Options{Addr: os.Getenv("REDIS_ADDR")}).Ping(ctx).Err()
	}
	wd, _ := os.Getwd()
	os.WriteFile("seen", []byte(fmt.Sprintf("db=%s err=%v wd=%s listen=%s", db, err, wd, os.Getenv("LISTEN"))), 0o644)
	if err != nil {
		os.Exit(2)
	}
	http.ListenAndServe(os.Getenv("LISTEN"), http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
}

// TestSUTInItsOwnConfiguration: a service that reads its own variables gets them from sut.env,
// built from the services' parts (the database named as the environment says), runs in sut.dir,
// and listens on {{port}}: no wrapper script.
func TestSUTInItsOwnConfiguration(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("-short: no servers")
	}
	dir := t.TempDir()
	sc := readyScenario(scenarios.SUT{Command: []string{"/usr/bin/env", configSUTEnv + "=1", os.Args[0], "-test.run=^$"}, Ready: "/", Dir: dir,
		Env: map[string]string{"DB_HOST": "{{postgres.host}}", "DB_PORT": "{{postgres.port}}", "DB_USER": "{{postgres.user}}",
			"DB_PASSWORD": "{{postgres.password}}", "DB_NAME": "{{postgres.database}}", "REDIS_ADDR": "{{redis.host}}:{{redis.port}}", "LISTEN": "127.0.0.1:{{port}}"}})
	sc.Environment.Services = []string{service.Postgres, service.Redis}
	sc.Environment.Postgres = service.Database{User: "app", Password: "pw", Database: "orders"}
	if err := sc.Validate(); err != nil {
		t.Fatal(err)
	}
	if _, err := run(context.Background(), sc, RunOptions{StateDir: t.TempDir()}); err != nil {
		t.Fatalf("Run: %v", err)
	}
	seen, _ := os.ReadFile(filepath.Join(dir, "seen"))
	if !strings.Contains(string(seen), "db=orders err=<nil> wd="+dir+" listen=127.0.0.1:") {
		t.Errorf("the service saw %q; want the orders database reached with its own variables, in its folder", seen)
	}
}

// TestSUTEnvPlaceholders: sut.env may use {{port}} and the parts of the scenario's services only.
func TestSUTEnvPlaceholders(t *testing.T) {
	t.Parallel()
	sc := readyScenario(scenarios.SUT{Command: []string{"x"}, Env: map[string]string{"A": "{{redis.host}}", "B": "{{postgres.host}}", "C": "{{redis.pass}}"}})
	err := sc.Validate()
	for _, want := range []string{"sut.env.B: unknown placeholder {{postgres.host}}", "sut.env.C: unknown placeholder {{redis.pass}}"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate = %v; want %q", err, want)
		}
	}
	if err != nil && strings.Contains(err.Error(), "sut.env.A") {
		t.Errorf("{{redis.host}} refused: %v", err)
	}
}
