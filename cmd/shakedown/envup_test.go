package main

import (
	"bufio"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shakedown-dev/shakedown/record"
	"github.com/shakedown-dev/shakedown/reports"
)

func TestEnvUpHoldsUntilCancelled(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no servers")
	}
	t.Setenv("SHAKEDOWN_STATE_DIR", t.TempDir())
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"env", "up", "--services", "redis", "--backend", "local"}, pw, io.Discard)
		pw.Close()
	}()
	sc := bufio.NewScanner(pr)
	var url string
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "export SHAKEDOWN_REDIS_URL="); ok {
			url = strings.Trim(v, `"`)
		}
		if strings.HasPrefix(sc.Text(), "# Ctrl-C") {
			break
		}
	}
	opt, err := redis.ParseURL(url)
	if err != nil {
		t.Fatalf("printed URL %q: %v", url, err)
	}
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	if err := rdb.Ping(ctx).Err(); err != nil {
		t.Fatalf("PING %s: %v", url, err)
	}
	cancel()
	go io.Copy(io.Discard, pr)
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("env up after Ctrl-C = %v; want nil", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("env up did not stop")
	}
	if err := rdb.Ping(context.Background()).Err(); err == nil {
		t.Error("Redis still answers after env up stopped")
	}
}

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		args []string
		want string
		code int
	}{
		{nil, "no command given", exitInvalid},
		{[]string{"explode"}, `unknown command "explode"`, exitInvalid},
		{[]string{"env"}, "want a subcommand", exitInvalid},
		{[]string{"env", "up", "--services", "mysql"}, `services[0]: "mysql" is not a service; want postgres, redis or ollama`, exitInvalid},
		{[]string{"env", "up", "--seed", "x"}, `invalid value "x" for flag -seed`, exitInvalid},
		{[]string{"report"}, "no journal given", exitInvalid},
		{[]string{"report", "nope.json"}, "nope.json", exitInvalid},
		{[]string{"report", "--index", "d", "x.json"}, "--index takes a folder", exitInvalid},
		{[]string{"list", "extra"}, `takes no arguments, got "extra"`, exitInvalid},
		{[]string{"run", "--seed", "-1", "x.yaml"}, `invalid value "-1" for flag -seed`, exitInvalid},
		{[]string{"run"}, "no scenario file given", exitInvalid},
	} {
		err := run(context.Background(), tt.args, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tt.want) || exitCode(err) != tt.code {
			t.Errorf("run(%q) = %v (exit %d); want %q (exit %d)", tt.args, err, exitCode(err), tt.want, tt.code)
		}
	}
}

// TestListAndReport: list shows the catalog; report renders a journal again and indexes a folder.
func TestListAndReport(t *testing.T) {
	t.Parallel()
	var out strings.Builder
	if err := run(context.Background(), []string{"list"}, &out, io.Discard); err != nil || !strings.Contains(out.String(), "llm-down") ||
		!strings.Contains(out.String(), "The LLM answers nothing but 503s for the whole fault phase.") {
		t.Errorf("list = %v, %q", err, out.String())
	}
	dir := t.TempDir()
	rec := &record.Record{Version: record.SchemaVersion, Scenario: record.ScenarioInfo{Name: "s"}, Status: record.StatusCompleted, Started: time.Unix(0, 0)}
	run1 := filepath.Join(dir, "s-1")
	if _, err := reports.WriteAll(run1, reports.NewJournal(rec, nil)); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(run1, "report.html"))
	out.Reset()
	if err := run(context.Background(), []string{"report", filepath.Join(run1, "journal.json")}, &out, io.Discard); err != nil {
		t.Fatalf("report: %v", err)
	}
	if _, err := os.Stat(filepath.Join(run1, "report.html")); err != nil {
		t.Errorf("report did not render report.html again: %v", err)
	}
	out.Reset()
	if err := run(context.Background(), []string{"report", "--index", dir}, &out, io.Discard); err != nil || !strings.Contains(out.String(), "index.html: 1 runs") {
		t.Errorf("report --index = %v, %q", err, out.String())
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	var out strings.Builder
	err := run(context.Background(), []string{"validate", "../../scenarios/testdata/good.yaml"}, &out, io.Discard)
	if err != nil || !strings.Contains(out.String(), `good.yaml: ok ("redis-latency": 2 faults, 10s)`) {
		t.Errorf("validate good.yaml = %v, %q", err, out.String())
	}
	bad := t.TempDir() + "/bad.yaml"
	os.WriteFile(bad, []byte("name: x\nlode: 1\n"), 0o644)
	out.Reset()
	err = run(context.Background(), []string{"validate", bad}, &out, io.Discard)
	if err == nil || exitCode(err) != exitInvalid || !strings.Contains(out.String(), "bad.yaml:2:1: lode: unknown field") {
		t.Errorf("validate bad.yaml = %v (exit %d), %q; want exit 2 and the positioned error", err, exitCode(err), out.String())
	}
}

func TestSchemaCommand(t *testing.T) {
	t.Parallel()
	var out strings.Builder
	if err := run(context.Background(), []string{"schema"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	want, _ := os.ReadFile("../../scenarios/testdata/scenario.schema.json")
	if out.String() != string(want) {
		t.Errorf("shakedown schema differs from scenarios/testdata/scenario.schema.json")
	}
	if err := run(context.Background(), []string{"schema", "x"}, io.Discard, io.Discard); exitCode(err) != exitInvalid {
		t.Errorf("schema x = %v; want exit 2", err)
	}
}

// TestRunRefusesUnlistedTarget: a staging scenario whose hosts are not allowed exits 2 before
// anything starts (no output folder), naming the target; bad log flags are invalid input too.
func TestRunRefusesUnlistedTarget(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "staging.yaml")
	os.WriteFile(file, []byte(`name: staging
environment:
  services: [redis]
  backend: external
  external:
    toxiproxy: http://toxiproxy.staging.internal:8474
    services:
      redis: {address: "redis.staging.internal:6379"}
sut: {url: "http://127.0.0.1:9"}
load: {rate: 1/s, targets: [{url: /}]}
phases: {warmup: 1s, fault: 1s, recovery: 1s}
`), 0o644)
	out := filepath.Join(dir, "out")
	err := run(context.Background(), []string{"run", file, "--out", out, "--allow-target", "toxiproxy.staging.internal"}, io.Discard, io.Discard)
	if exitCode(err) != exitInvalid || !strings.Contains(err.Error(), "environment.external.services.redis.address = redis.staging.internal:6379") {
		t.Errorf("run = %v (exit %d); want exit 2 naming the redis address", err, exitCode(err))
	}
	if _, serr := os.Stat(out); serr == nil {
		t.Error("the refused run created its output folder")
	}
	for _, args := range [][]string{{"run", file, "--log-format", "xml"}, {"run", file, "--log-level", "loud"}} {
		if err := run(context.Background(), args, io.Discard, io.Discard); exitCode(err) != exitInvalid {
			t.Errorf("run %v = %v; want exit 2", args[2:], err)
		}
	}
}
