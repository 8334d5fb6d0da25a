package harness

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/shakedown-dev/shakedown/env"
	"github.com/shakedown-dev/shakedown/scenarios"
	"github.com/shakedown-dev/shakedown/service"
)

// setupTimeout bounds each set-up step.
const setupTimeout = 5 * time.Minute

// runSetup runs the scenario's sql and command steps in order, after the environment is up and
// before the system under test starts (its request steps follow once the SUT is ready: see
// sendSetupRequests): SQL applied over a direct connection to Postgres (a file, or a folder
// of .sql files in the order of their names), commands with the variables a command SUT gets.
// Paths are relative to the scenario file's folder. The first step that fails stops the run, with
// its output.
func runSetup(ctx context.Context, sc *scenarios.Scenario, e *env.Env) error {
	base := filepath.Dir(sc.File)
	parts := serviceParts(e, 0)
	vars := sutVars(sc.SUT.Env, e, parts)
	for i, st := range sc.Setup {
		ctx, cancel := context.WithTimeout(ctx, setupTimeout)
		var err error
		switch {
		case st.SQL != "":
			err = applySQL(ctx, filepath.Join(base, st.SQL), e)
		case len(st.Command) > 0:
			err = runCommand(ctx, st, base, vars, parts)
		}
		cancel()
		if err != nil {
			return fmt.Errorf("setup[%d]: %w", i, err)
		}
	}
	return nil
}

func applySQL(ctx context.Context, path string, e *env.Env) error {
	files := []string{path}
	if st, err := os.Stat(path); err != nil {
		return err
	} else if st.IsDir() {
		if files, err = filepath.Glob(filepath.Join(path, "*.sql")); err != nil || len(files) == 0 {
			return fmt.Errorf("sql %s: a folder with no .sql file in it", path)
		}
		slices.Sort(files)
	}
	pg, _ := e.Service(service.Postgres)
	conn, err := pgx.Connect(ctx, pg.DirectURL())
	if err != nil {
		return fmt.Errorf("sql %s: connect to postgres directly: %w", path, err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		if _, err := conn.Exec(ctx, string(b)); err != nil { // no arguments: the simple protocol, every statement of the file
			return fmt.Errorf("sql %s: %w", f, err)
		}
	}
	return nil
}

func runCommand(ctx context.Context, st scenarios.SetupStep, base string, vars, parts map[string]string) error {
	args := make([]string, len(st.Command))
	for i, a := range st.Command {
		args[i] = scenarios.Fill(a, parts)
	}
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Dir = filepath.Join(base, st.Dir)
	cmd.Env = os.Environ()
	for _, k := range slices.Sorted(maps.Keys(vars)) {
		cmd.Env = append(cmd.Env, k+"="+vars[k])
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%q: %w; its output:\n%s", st.Command, err, indent(tail(out.String(), 40)))
	}
	return nil
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

func indent(s string) string { return "  " + strings.ReplaceAll(s, "\n", "\n  ") }
