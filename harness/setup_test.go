package harness

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shakedown-dev/shakedown/scenarios"
	"github.com/shakedown-dev/shakedown/service"
)

// TestSetupBeforeTheService: migrations (a folder of .sql files, in name order) are applied to
// Postgres, then a command runs with the service's variables and the placeholders filled in,
// before the service starts; a failing step stops the run with its output and leaves nothing.
func TestSetupBeforeTheService(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("-short: no servers")
	}
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "migrations"), 0o755)
	os.WriteFile(filepath.Join(dir, "migrations", "001_orders.sql"), []byte("CREATE TABLE orders (id text PRIMARY KEY);\nCREATE INDEX ON orders (id);\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "migrations", "002_seed.sql"), []byte("INSERT INTO orders VALUES ('a'), ('b');"), 0o644)
	// The SUT dies at once: the set-up's own command proves the migrations ran, by counting.
	sc := readyScenario(scenarios.SUT{Command: []string{"sh", "-c", "exit 9"}, Env: map[string]string{"APP_DB": "{{postgres.database}}"}})
	sc.File = filepath.Join(dir, "s.yaml")
	sc.Environment.Services = []string{service.Postgres}
	sc.Setup = []scenarios.SetupStep{
		{SQL: "migrations"},
		{Command: []string{"sh", "-c", `echo "$APP_DB $(psql "{{postgres.dsn}}" -tAc 'SELECT count(*) FROM orders')" > counted`}},
	}
	if err := sc.Validate(); err != nil {
		t.Fatal(err)
	}
	state := t.TempDir()
	_, err := run(context.Background(), sc, RunOptions{StateDir: state})
	if err == nil || !strings.Contains(err.Error(), "system under test died") {
		t.Fatalf("Run = %v; want the set-up done, then the SUT's death", err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "counted")); strings.TrimSpace(string(b)) != "shakedown 2" {
		t.Errorf("the set-up command saw %q; want the database's name and the 2 seeded orders", b)
	}

	sc.Setup = []scenarios.SetupStep{{SQL: "migrations"}, {Command: []string{"sh", "-c", "echo 'migrate: dirty database version 3'; exit 4"}}, {Command: []string{"touch", "never"}}}
	_, err = run(context.Background(), sc, RunOptions{StateDir: state})
	if err == nil || !strings.Contains(err.Error(), "setup[1]") || !strings.Contains(err.Error(), "exit status 4") || !strings.Contains(err.Error(), "migrate: dirty database version 3") {
		t.Errorf("Run with a failing step = %v; want setup[1], its exit status and its output", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "never")); err == nil {
		t.Error("a step after the failing one ran")
	}
	if runs, _ := os.ReadDir(filepath.Join(state, "runs")); len(runs) != 0 {
		t.Errorf("%d run folders left", len(runs))
	}
}
