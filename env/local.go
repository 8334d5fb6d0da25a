package env

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/shakedown-dev/shakedown/faults"
	"github.com/shakedown-dev/shakedown/mock/ollama"
	"github.com/shakedown-dev/shakedown/service"
)

// startLocal starts one service on the local backend and registers its clean-up.
func (e *Env) startLocal(ctx context.Context, name string, spec Spec) (*Service, error) {
	switch name {
	case service.Postgres:
		return e.startPostgres(ctx, spec.Postgres)
	case service.Redis:
		return e.startRedis(ctx)
	}
	m, err := ollama.New(spec.Ollama)
	if err != nil {
		return nil, err
	}
	m.Start()
	e.cleanups = append(e.cleanups, func(context.Context) error { m.Close(); return nil })
	return &Service{Name: service.Ollama, direct: m.Addr(), Backend: service.BackendLocal, Version: "mock " + ollama.Version, http: faults.InProcess(m.Faults()),
		untouched: "the mock Ollama runs inside the harness on the local backend; use the docker backend, or a proxy_down or http fault"}, nil
}

// localServer is a server the local backend started: a child process in its own process group.
type localServer struct {
	name string
	proc *process
	run  *runDir // where a restarted server's pid is noted
}

// pause sends SIGSTOP to the server's process group, and resume SIGCONT; each returns once the
// server's state shows it: signals are delivered asynchronously, and a fault's window must start
// when the server is really frozen.
func (l *localServer) pause(context.Context) error  { return l.signal(syscall.SIGSTOP) }
func (l *localServer) resume(context.Context) error { return l.signal(syscall.SIGCONT) }

func (l *localServer) signal(sig syscall.Signal) error {
	pid := l.proc.pid()
	if err := syscall.Kill(-pid, sig); err != nil {
		return fmt.Errorf("%s: %v to process group %d: %w", l.name, sig, pid, err)
	}
	deadline := time.Now().Add(time.Second)
	for (procState(pid) == 'T') != (sig == syscall.SIGSTOP) {
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: process %d did not take %v within 1s (state %q)", l.name, pid, sig, procState(pid))
		}
		time.Sleep(time.Millisecond) // the kernel offers no event for it; the wait is bounded
	}
	return nil
}

func (l *localServer) kill(ctx context.Context, graceful bool) error {
	if graceful {
		return l.proc.terminate(ctx, syscall.SIGTERM, killGrace)
	}
	return l.proc.terminate(ctx, syscall.SIGKILL, 0)
}

// restart starts the same command again, on the same port, once the process has exited.
func (l *localServer) restart(ctx context.Context) (string, error) {
	select {
	case <-l.proc.exited():
	default:
		return l.proc.addr, nil
	}
	if err := l.proc.start(ctx); err != nil {
		return "", err
	}
	return l.proc.addr, l.run.noteChild(l.name, l.proc.pid())
}

// missingLocal lists the server binaries the local backend would need for services and lacks.
func missingLocal(services []string) []string {
	var missing []string
	for _, s := range services {
		switch s {
		case service.Postgres:
			for _, b := range []string{"initdb", "postgres"} {
				if _, ok := findBinary(b, pgBinGlob); !ok {
					missing = append(missing, b)
				}
			}
		case service.Redis:
			if _, ok := findBinary("redis-server"); !ok {
				missing = append(missing, "redis-server")
			}
		}
	}
	return missing
}

// pgBinGlob is where Debian puts Postgres's server binaries.
const pgBinGlob = "/usr/lib/postgresql/*/bin"

// findBinary looks for a server binary on PATH, then in the given folders (highest version first).
func findBinary(name string, globs ...string) (string, bool) {
	if p, err := exec.LookPath(name); err == nil {
		return p, true
	}
	for _, g := range globs {
		matches, _ := filepath.Glob(g)
		sort.Sort(sort.Reverse(sort.StringSlice(matches)))
		for _, m := range matches {
			if p := filepath.Join(m, name); isExec(p) {
				return p, true
			}
		}
	}
	return "", false
}

func isExec(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}

// FreePort asks the OS for a free port on 127.0.0.1. Another process could take it before the
// server binds it; the server then fails to start and says so.
func FreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func (e *Env) startPostgres(ctx context.Context, pg service.Database) (*Service, error) {
	pgBin := pgBinGlob
	initdb, ok1 := findBinary("initdb", pgBin)
	postgres, ok2 := findBinary("postgres", pgBin)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("local backend: Postgres's initdb and postgres are not on PATH nor under %s; install them (Debian: apt-get install postgresql) or use the docker backend", pgBin)
	}
	cred, err := unprivileged("postgres")
	if err != nil {
		return nil, fmt.Errorf("local backend: postgres: %w", err)
	}
	// Its own temporary folder: the postgres user may not reach the state directory (root's home).
	dir, err := e.run.tempDir("postgres")
	if err != nil {
		return nil, err
	}
	e.cleanups = append(e.cleanups, func(context.Context) error { return os.RemoveAll(dir) })
	data, sock := filepath.Join(dir, "data"), filepath.Join(dir, "sock")
	for _, d := range []string{dir, sock} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
		if cred != nil {
			if err := os.Chown(d, int(cred.uid), int(cred.gid)); err != nil {
				return nil, fmt.Errorf("local backend: postgres: hand %s to the postgres user: %w", d, err)
			}
		}
	}
	pwfile := filepath.Join(dir, "pw")
	if err := os.WriteFile(pwfile, []byte(pg.Password+"\n"), 0o600); err != nil {
		return nil, err
	}
	if cred != nil {
		os.Chown(pwfile, int(cred.uid), int(cred.gid))
	}
	out, err := runAs(ctx, cred, dir, initdb, "-D", data, "-U", pg.User, "--pwfile", pwfile, "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--no-sync", "--no-instructions")
	if err != nil {
		return nil, fmt.Errorf("local backend: initdb: %w\n%s", err, out)
	}
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	// fsync and full-page writes off: they guard against the machine crashing, which a test run
	// does not need. synchronous_commit stays on: a commit is acknowledged only once its WAL is
	// written, so a killed server (the kill fault) keeps every commit it acknowledged.
	p, err := startProcess(ctx, "postgres", cred, dir, "database system is ready to accept connections", postgres,
		"-D", data, "-p", strconv.Itoa(port), "-k", sock, "-c", "listen_addresses=127.0.0.1",
		"-c", "fsync=off", "-c", "full_page_writes=off", "-c", "max_connections=200")
	if err != nil {
		return nil, fmt.Errorf("local backend: %w", err)
	}
	p.addr = fmt.Sprintf("127.0.0.1:%d", port)
	e.cleanups = append(e.cleanups, p.stop)
	e.run.noteChild(service.Postgres, p.pid())
	// initdb makes only the "postgres" database; make ours.
	if pg.Database != "postgres" {
		psql, _ := findBinary("psql", pgBin)
		if psql == "" {
			return nil, fmt.Errorf("local backend: psql is missing to create database %q; install postgresql-client", pg.Database)
		}
		if out, err := runAs(ctx, cred, dir, psql, "-h", sock, "-p", strconv.Itoa(port), "-U", pg.User, "-d", "postgres", "-v", "ON_ERROR_STOP=1",
			"-c", fmt.Sprintf("CREATE DATABASE %q", pg.Database)); err != nil {
			return nil, fmt.Errorf("local backend: create database %q: %w\n%s", pg.Database, err, out)
		}
	}
	version, _ := runAs(ctx, nil, dir, postgres, "--version")
	return &Service{Name: service.Postgres, direct: p.addr, Backend: service.BackendLocal,
		Version: "PostgreSQL " + strings.TrimSpace(strings.TrimPrefix(string(version), "postgres (PostgreSQL) ")),
		srv:     &localServer{name: service.Postgres, proc: p, run: e.run}, dataDir: data}, nil
}

func (e *Env) startRedis(ctx context.Context) (*Service, error) {
	bin, ok := findBinary("redis-server")
	if !ok {
		return nil, fmt.Errorf("local backend: redis-server is not on PATH; install it (Debian: apt-get install redis-server) or use the docker backend")
	}
	dir := filepath.Join(e.run.path, "redis")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	p, err := startProcess(ctx, "redis", nil, dir, "Ready to accept connections", bin,
		"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--protected-mode", "no", "--dir", dir, "--daemonize", "no")
	if err != nil {
		return nil, fmt.Errorf("local backend: %w", err)
	}
	p.addr = fmt.Sprintf("127.0.0.1:%d", port)
	e.cleanups = append(e.cleanups, p.stop)
	e.run.noteChild(service.Redis, p.pid())
	version, _ := exec.CommandContext(ctx, bin, "--version").Output()
	v := string(version)
	if i := strings.Index(v, "v="); i >= 0 {
		v = "Redis " + strings.Fields(v[i+2:])[0]
	}
	return &Service{Name: service.Redis, direct: p.addr, Backend: service.BackendLocal, Version: v,
		srv: &localServer{name: service.Redis, proc: p, run: e.run}}, nil
}

// runAs runs a short command, as cred's user when given, and returns its combined output.
func runAs(ctx context.Context, cred *credential, dir, bin string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	cmd.SysProcAttr = sysProcAttr(cred)
	return cmd.CombinedOutput()
}
