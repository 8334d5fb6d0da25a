package harness

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/shakedown-dev/shakedown/env"
	"github.com/shakedown-dev/shakedown/scenarios"
	"github.com/shakedown-dev/shakedown/service"
)

// sut is a running system under test: one instance, or a command's replicas.
type sut struct {
	// base is the first replica's base URL; replicas are every one (one unless sut.replicas).
	base     string
	replicas []*replica
	stop     func()
}

// replica is one running instance of the system under test.
type replica struct {
	base string
	// exited is closed when a command's process has exited (nil for a builtin or a URL); why then
	// says how it ended and what it printed last.
	exited <-chan struct{}
	why    func() string
}

// bases returns every replica's base URL.
func (s *sut) bases() []string {
	out := make([]string, len(s.replicas))
	for i, r := range s.replicas {
		out[i] = r.base
	}
	return out
}

// one is the sut of a single instance.
func one(base string, stop func()) *sut {
	return &sut{base: base, replicas: []*replica{{base: base}}, stop: stop}
}

// startSUT starts (or finds) the system under test. A command and a builtin get each service's
// proxied URL under service.URLVar (a command in its environment, with a PORT to listen on, in
// its own process group); a command's output goes to out, and its last lines are kept for the
// error that reports its death. A command runs as p.sut.replicas replicas, each on its own port,
// from p.sut.port up when it is set, else on ports the OS picks; with more than one, each line of
// their output starts with the replica's number.
func startSUT(ctx context.Context, p *Plan, e *env.Env, out io.Writer) (*sut, error) {
	spec := p.scenario.SUT
	if len(spec.Command) == 0 {
		vars := sutVars(spec.Env, e, replicaParts(serviceParts(e), 0, 0))
		switch {
		case spec.URL != "":
			return one(spec.URL, func() {}), nil
		case p.sut.builtin != nil && p.sut.builtin.Handler != nil:
			return serveHandler(ctx, spec.Builtin, p.sut.builtin.Handler, e)
		case p.sut.builtin != nil:
			url, stop, err := p.sut.builtin.Start(ctx, spec.Args, func(k string) string { return vars[k] })
			if err != nil {
				return nil, fmt.Errorf("builtin %s: %w", spec.Builtin, err)
			}
			return one(url, stop), nil
		}
		return nil, fmt.Errorf("sut: want exactly one of builtin, command and url")
	}
	n := max(p.sut.replicas, 1)
	ports := make([]int, 0, n)
	for len(ports) < n {
		port := p.sut.port + len(ports)
		if p.sut.port == 0 {
			var err error
			if port, err = env.FreePort(); err != nil {
				return nil, err
			}
			if slices.Contains(ports, port) {
				continue
			}
		}
		ports = append(ports, port)
	}
	s := &sut{}
	var stops []func()
	s.stop = func() {
		var wg sync.WaitGroup
		for _, stop := range stops {
			wg.Go(stop)
		}
		wg.Wait()
	}
	for i, port := range ports {
		prefix := ""
		if n > 1 {
			prefix = fmt.Sprintf("[replica %d] ", i)
		}
		r, stop, err := startCommand(p, e, out, i, port, prefix)
		if err != nil {
			s.stop()
			return nil, err
		}
		stops = append(stops, stop)
		s.replicas = append(s.replicas, r)
	}
	s.base = s.replicas[0].base
	return s, nil
}

// startCommand starts replica i of a command SUT on port.
func startCommand(p *Plan, e *env.Env, out io.Writer, i, port int, prefix string) (*replica, func(), error) {
	spec := p.scenario.SUT
	vars := sutVars(spec.Env, e, replicaParts(serviceParts(e), port, i))
	cmd := exec.Command(spec.Command[0], append(spec.Command[1:], spec.Args...)...)
	cmd.Dir = spec.Dir
	if cmd.Dir != "" && !filepath.IsAbs(cmd.Dir) && p.scenario.File != "" {
		cmd.Dir = filepath.Join(filepath.Dir(p.scenario.File), cmd.Dir)
	}
	cmd.Env = append(os.Environ(), "PORT="+strconv.Itoa(port))
	for _, k := range slices.Sorted(maps.Keys(vars)) {
		cmd.Env = append(cmd.Env, k+"="+vars[k])
	}
	tail := &lastLines{prefix: prefix}
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, nil, fmt.Errorf("start %q: %w", spec.Command, err)
	}
	name := "sut"
	if i > 0 {
		name = fmt.Sprintf("sut-%d", i)
	}
	e.NoteChild(name, cmd.Process.Pid)
	copied := make(chan struct{})
	go func() { tail.copy(out, pr); close(copied) }()
	done := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); pw.Close(); <-copied; close(done) }()
	stop := func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		t := time.NewTimer(5 * time.Second)
		defer t.Stop()
		select {
		case <-done:
		case <-t.C:
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
	}
	who := fmt.Sprintf("%q", spec.Command)
	if p.sut.replicas > 1 {
		who = fmt.Sprintf("replica %d of %q (port %d)", i, spec.Command, port)
	}
	why := func() string {
		status := "exit status 0"
		if waitErr != nil {
			status = waitErr.Error()
		}
		return fmt.Sprintf("%s exited (%s); its last lines:\n%s", who, status, tail.String())
	}
	return &replica{base: fmt.Sprintf("http://127.0.0.1:%d", port), exited: done, why: why}, stop, nil
}

// serveHandler builds a builtin's handler from the environment and serves it on 127.0.0.1.
func serveHandler(ctx context.Context, name string, build func(context.Context, Deps) (http.Handler, func(), error), e *env.Env) (*sut, error) {
	parts := serviceParts(e)
	deps := Deps{}
	for _, s := range e.Services() {
		part := func(p string) string { return parts[scenarios.PartName(s.Name, p)] }
		deps[s.Name] = Dep{URL: s.URL, Addr: s.Proxied, Host: part("host"), Port: part("port"), User: part("user"), Password: part("password"), Database: part("database")}
	}
	h, closeFn, err := build(ctx, deps)
	if err != nil {
		return nil, fmt.Errorf("builtin %s: %w", name, err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		if closeFn != nil {
			closeFn()
		}
		return nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan struct{})
	go func() { srv.Serve(ln); close(served) }()
	stop := func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if srv.Shutdown(sctx) != nil {
			srv.Close()
		}
		<-served
		if closeFn != nil {
			closeFn()
		}
	}
	return one("http://"+ln.Addr().String(), stop), nil
}

// sutVars are the variables a command or a builtin gets: each service's proxied URL under
// service.URLVar, and the scenario's sut.env filled in from parts.
func sutVars(tmpl map[string]string, e *env.Env, parts map[string]string) map[string]string {
	vars := map[string]string{}
	for _, s := range e.Services() {
		vars[service.URLVar(s.Name)] = s.URL
	}
	for k, v := range tmpl {
		vars[k] = scenarios.Fill(v, parts)
	}
	return vars
}

// serviceParts are the values of the {{service.part}} placeholders in the running environment,
// by name (postgres.dsn): each service's parts (service.Parts), through its proxy.
func serviceParts(e *env.Env) map[string]string {
	parts := map[string]string{}
	for _, s := range e.Services() {
		host, p, _ := net.SplitHostPort(s.Proxied)
		for part, v := range map[string]string{"host": host, "port": p, "addr": s.Proxied, "url": s.URL} {
			parts[scenarios.PartName(s.Name, part)] = v
		}
		if s.Name == service.Postgres {
			if u, err := url.Parse(s.URL); err == nil {
				pw, _ := u.User.Password()
				for part, v := range map[string]string{"user": u.User.Username(), "password": pw, "database": strings.TrimPrefix(u.Path, "/"), "dsn": s.URL} {
					parts[scenarios.PartName(service.Postgres, part)] = v
				}
			}
		}
	}
	return parts
}

// replicaParts are the values of sut.env's placeholders for the replica numbered i, listening on
// port: the services' parts, {{port}} and {{replica}}. A builtin, and the set-up commands that get
// sut.env, have port 0 and replica 0.
func replicaParts(parts map[string]string, port, i int) map[string]string {
	out := maps.Clone(parts)
	out[scenarios.PortName], out[scenarios.ReplicaName] = strconv.Itoa(port), strconv.Itoa(i)
	return out
}

// lastLines copies a stream line by line and keeps its last lines.
type lastLines struct {
	prefix string // starts each line copied (not each line kept)
	mu     sync.Mutex
	lines  []string
}

func (l *lastLines) copy(w io.Writer, r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		fmt.Fprintln(w, l.prefix+sc.Text())
		l.mu.Lock()
		if l.lines = append(l.lines, sc.Text()); len(l.lines) > 20 {
			l.lines = l.lines[1:]
		}
		l.mu.Unlock()
	}
	io.Copy(w, r) // a line past the scanner's limit: pass the rest on
}

func (l *lastLines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.lines) == 0 {
		return "  (nothing)"
	}
	return "  " + strings.Join(l.lines, "\n  ")
}

// waitReady polls the readiness URL of every replica of the SUT until each has answered 200, for
// at most timeout in all. A command that exits first is reported at once, with how it ended and
// its last lines; a wait that runs out says every answer it got and how often (78 times 401
// Unauthorized), not only the last.
func waitReady(ctx context.Context, s *sut, path string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	waiting := slices.Clone(s.replicas)
	answers := map[*replica]map[string]int{}
	for {
		var ready []*replica
		for _, r := range waiting {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, r.base+path, nil)
			resp, err := client.Do(req)
			if answers[r] == nil {
				answers[r] = map[string]int{}
			}
			switch {
			case err == nil:
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					ready = append(ready, r)
					continue
				}
				answers[r][resp.Status]++
			case ctx.Err() == nil:
				answers[r][errorKind(err)]++
			}
		}
		waiting = slices.DeleteFunc(waiting, func(w *replica) bool { return slices.Contains(ready, w) })
		if len(waiting) == 0 {
			return nil
		}
		for _, r := range s.replicas {
			select {
			case <-r.exited:
				return fmt.Errorf("system under test died before it was ready: %s", r.why())
			default:
			}
		}
		select {
		case <-ctx.Done():
			r, which := waiting[0], ""
			if len(s.replicas) > 1 {
				which = fmt.Sprintf(" (replica %d; %d of %d replicas not ready)", slices.Index(s.replicas, r), len(waiting), len(s.replicas))
			}
			return fmt.Errorf("system under test not ready at %s within %s%s: %s", r.base+path, timeout, which, tally(answers[r]))
		case <-tick.C:
		}
	}
}

// errorKind shortens a request error to what it says of the server: "connection refused".
func errorKind(err error) string {
	for _, k := range []string{"connection refused", "connection reset", "EOF", "Client.Timeout", "no such host"} {
		if strings.Contains(err.Error(), k) {
			if k == "Client.Timeout" {
				return "no answer within 1s"
			}
			return k
		}
	}
	return err.Error()
}

// tally writes the answers a wait got, most frequent first: "401 Unauthorized 78 times,
// connection refused 3 times".
func tally(answers map[string]int) string {
	if len(answers) == 0 {
		return "no answer at all"
	}
	keys := slices.Collect(maps.Keys(answers))
	slices.SortFunc(keys, func(a, b string) int {
		if answers[a] != answers[b] {
			return answers[b] - answers[a]
		}
		return strings.Compare(a, b)
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d times", k, answers[k])
	}
	return "it answered " + strings.Join(parts, ", ")
}
