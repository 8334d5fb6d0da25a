package harness

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/shakedown-dev/shakedown/env"
	"github.com/shakedown-dev/shakedown/internal/redact"
	"github.com/shakedown-dev/shakedown/scenarios"
	"github.com/shakedown-dev/shakedown/service"
)

// setupTimeout bounds each set-up step.
const setupTimeout = 5 * time.Minute

// setup runs a scenario's set-up steps, in the order written, whatever their kind: SQL applied
// over a direct connection to Postgres (a file, or a folder of migrations: see readMigrations);
// commands with the variables a command SUT gets and their arguments filled in; requests to the
// SUT. Run calls it twice: for the steps before the first request step, before the SUT starts
// (a service may need its tables to start), then, once the SUT is ready, for the rest
// (scenarios.Scenario.StepsBeforeSUT). Paths are relative to the scenario file's folder.
type setup struct {
	p *Plan
	e *env.Env
	// dir is the scenario file's folder.
	dir string
	// vars are a command's variables: the services' URLs and sut.env, filled for port 0 and
	// replica 0.
	vars map[string]string
	// vals are what requests and commands use by name: the services' parts, and then each value
	// a request step captures.
	vals   *values
	client *http.Client
	// red learns the secret values the request steps capture.
	red *redact.Redactor
}

func newSetup(p *Plan, e *env.Env, red *redact.Redactor) *setup {
	parts := serviceParts(e)
	return &setup{p: p, e: e, dir: filepath.Dir(p.scenario.File), vars: sutVars(p.scenario.SUT.Env, e, replicaParts(parts, 0, 0)),
		vals: &values{m: parts}, client: &http.Client{Timeout: p.load.opts.Timeout}, red: red}
}

// run runs the steps numbered from to to-1, in order; base is the SUT's base URL, where request
// steps go ("" before it starts: no request step runs then). The first step that fails stops
// the run, with its output (a command's) or its answer (a request's).
func (s *setup) run(ctx context.Context, from, to int, base string) error {
	for i := from; i < to; i++ {
		st := s.p.scenario.Setup[i]
		ctx, cancel := context.WithTimeout(ctx, setupTimeout)
		var err error
		switch {
		case st.SQL != "":
			err = applySQL(ctx, filepath.Join(s.dir, st.SQL), s.e)
		case len(st.Command) > 0:
			err = runCommand(ctx, st, s.dir, s.vars, s.vals.all())
		case st.Request != nil:
			err = sendSetupRequest(ctx, s.client, s.p, base, i, st.Request, s.vals, s.red)
		}
		cancel()
		if err != nil {
			return fmt.Errorf("setup[%d]: %w", i, err)
		}
	}
	return nil
}

// applySQL applies a sql step's migrations (readMigrations) to Postgres directly, not through
// its proxy.
func applySQL(ctx context.Context, path string, e *env.Env) error {
	ms, err := readMigrations(path)
	if err != nil {
		return err
	}
	pg, _ := e.Service(service.Postgres)
	conn, err := pgx.Connect(ctx, pg.DirectURL())
	if err != nil {
		return fmt.Errorf("sql %s: connect to postgres directly: %w", path, err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	for _, m := range ms {
		if err := m.apply(ctx, conn); err != nil {
			return fmt.Errorf("sql %s: %w", m.file, err)
		}
	}
	return nil
}

// apply runs m's statements on conn. Each is sent without arguments: the simple protocol, so a
// whole file's every statement runs.
func (m migration) apply(ctx context.Context, conn *pgx.Conn) error {
	if !m.tx || len(m.stmts) < 2 {
		for _, q := range m.stmts {
			if _, err := conn.Exec(ctx, q); err != nil {
				return err
			}
		}
		return nil
	}
	return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		for _, q := range m.stmts {
			if _, err := tx.Exec(ctx, q); err != nil {
				return err
			}
		}
		return nil
	})
}

// runCommand runs a command step in its folder with vars in its environment, its arguments'
// placeholders filled from vals (the services' parts, the values captured before it).
func runCommand(ctx context.Context, st scenarios.SetupStep, base string, vars, vals map[string]string) error {
	args := make([]string, len(st.Command))
	for i, a := range st.Command {
		args[i] = scenarios.Fill(a, vals)
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
