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

// TestMigrationsRunUpOnly: a golang-migrate folder and a goose folder, applied to a real
// Postgres, run their up direction only, in the order of their versions (2_ before 10_). Every
// down file here would break the next up file, or the check, if it ran: issue 24, item 13 (the
// down files ran, each before its up file: `table "album" does not exist`).
func TestMigrationsRunUpOnly(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("-short: no servers")
	}
	dir := t.TempDir()
	files := map[string]string{
		"migrate/1_album.up.sql":           "CREATE TABLE ran (n serial PRIMARY KEY, step text);\nCREATE TABLE album (id int PRIMARY KEY);\nINSERT INTO ran (step) VALUES ('1 up');\n",
		"migrate/1_album.down.sql":         "DROP TABLE album;\nDROP TABLE ran;\n",
		"migrate/2_track.up.sql":           "CREATE TABLE track (id int PRIMARY KEY, album int REFERENCES album);\nINSERT INTO ran (step) VALUES ('2 up');\n",
		"migrate/2_track.down.sql":         "DROP TABLE track;\nINSERT INTO ran (step) VALUES ('2 down');\n",
		"migrate/10_track_length.up.sql":   "ALTER TABLE track ADD COLUMN seconds int;\nINSERT INTO ran (step) VALUES ('10 up');\n",
		"migrate/10_track_length.down.sql": "ALTER TABLE track DROP COLUMN seconds;\nINSERT INTO ran (step) VALUES ('10 down');\n",
		"goose/1_genre.sql": `-- +goose Up
CREATE TABLE genre (name text PRIMARY KEY);
-- +goose StatementBegin
CREATE FUNCTION note(s text) RETURNS void AS $$
BEGIN
  INSERT INTO ran (step) VALUES (s);
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd
SELECT note('goose 1 up');

-- +goose Down
DROP FUNCTION note(text);
DROP TABLE genre;
DROP TABLE album;
`,
		"goose/2_jazz.sql":   "-- +goose Up\nINSERT INTO genre VALUES ('jazz');\nSELECT note('goose 2 up');\n-- +goose Down\nDELETE FROM genre;\nSELECT note('goose 2 down');\n",
		"goose/10_blues.sql": "-- +goose Up\n-- +goose NO TRANSACTION\nINSERT INTO genre VALUES ('blues');\nSELECT note('goose 10 up');\n-- +goose Down\nSELECT note('goose 10 down');\n",
	}
	for name, text := range files {
		os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o755)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	sc := readyScenario(scenarios.SUT{Command: []string{"sh", "-c", "exit 9"}})
	sc.File = filepath.Join(dir, "s.yaml")
	sc.Environment.Services = []string{service.Postgres}
	query := `SELECT (SELECT string_agg(step, ',' ORDER BY n) FROM ran) || ' genres=' || (SELECT count(*) FROM genre) || ' albums=' || (SELECT count(*) FROM album) || ' tracks=' || (SELECT count(seconds) FROM track)`
	sc.Setup = []scenarios.SetupStep{{SQL: "migrate"}, {SQL: "goose/"}, {Command: []string{"sh", "-c", `psql "$1" -tAc "$2" > ran 2>&1`, "sh", "{{postgres.dsn}}", query}}}
	if err := sc.Validate(); err != nil {
		t.Fatal(err)
	}
	_, err := run(context.Background(), sc, RunOptions{StateDir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "system under test died") {
		t.Fatalf("Run = %v; want the set-up done, then the SUT's death", err)
	}
	want := "1 up,2 up,10 up,goose 1 up,goose 2 up,goose 10 up genres=2 albums=0 tracks=0"
	if b, _ := os.ReadFile(filepath.Join(dir, "ran")); strings.TrimSpace(string(b)) != want {
		t.Errorf("the migrations ran %q; want %q", b, want)
	}
}
