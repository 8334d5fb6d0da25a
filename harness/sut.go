package harness

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/shakedown-dev/shakedown/internal/agentd"

	"github.com/shakedown-dev/shakedown/scenarios"
)

// startSUT starts (or finds) the system under test and returns its base URL and how to stop it.
// A command gets the proxied addresses in its environment (SHAKEDOWN_POSTGRES_DSN,
// SHAKEDOWN_REDIS_URL, SHAKEDOWN_OLLAMA_URL) and a PORT to listen on, in its own process group.
func startSUT(ctx context.Context, sut scenarios.SUT, env *Env) (string, func(), error) {
	switch {
	case sut.URL != "":
		return sut.URL, func() {}, nil
	case len(sut.Command) > 0:
		port, err := freePort()
		if err != nil {
			return "", nil, err
		}
		cmd := exec.Command(sut.Command[0], append(sut.Command[1:], sut.Args...)...)
		cmd.Env = append(os.Environ(), "PORT="+strconv.Itoa(port))
		for _, s := range env.Services() {
			cmd.Env = append(cmd.Env, EnvVar(s.Name)+"="+s.URL)
		}
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
		if err := cmd.Start(); err != nil {
			return "", nil, fmt.Errorf("start %q: %w", sut.Command, err)
		}
		env.run.noteChild("sut", cmd.Process.Pid)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		stop := func() {
			syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
				<-done
			}
		}
		return fmt.Sprintf("http://127.0.0.1:%d", port), stop, nil
	case sut.Builtin == "agentd":
		return startAgentd(ctx, sut.Args, env)
	}
	return "", nil, fmt.Errorf("builtin %q: want agentd", sut.Builtin)
}

// startAgentd runs the reference service in-process with the proxied addresses and args as its
// flags.
func startAgentd(ctx context.Context, args []string, env *Env) (string, func(), error) {
	vars := map[string]string{}
	for _, s := range env.Services() {
		vars[EnvVar(s.Name)] = s.URL
	}
	var msg strings.Builder
	cfg, err := agentd.ParseFlags(args, func(k string) string { return vars[k] }, &msg)
	if err != nil {
		return "", nil, fmt.Errorf("builtin agentd: %w %s", err, strings.TrimSpace(msg.String()))
	}
	srv, err := agentd.New(ctx, cfg)
	if err != nil {
		return "", nil, fmt.Errorf("builtin agentd: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		srv.Shutdown(ctx)
		return "", nil, err
	}
	done := make(chan struct{})
	go func() { srv.Serve(ln); close(done) }()
	stop := func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
		<-done
	}
	return "http://" + ln.Addr().String(), stop, nil
}

// EnvVar names the variable that carries a service's URL to the system under test:
// SHAKEDOWN_POSTGRES_DSN, SHAKEDOWN_REDIS_URL or SHAKEDOWN_OLLAMA_URL.
func EnvVar(service string) string {
	switch service {
	case Postgres:
		return "SHAKEDOWN_POSTGRES_DSN"
	case Redis:
		return "SHAKEDOWN_REDIS_URL"
	default:
		return "SHAKEDOWN_OLLAMA_URL"
	}
}

func readyPath(sut scenarios.SUT) string {
	if sut.Ready != "" {
		return sut.Ready
	}
	return "/health/ready"
}

// waitReady polls url until it answers 200, for at most timeout (0: 30s).
func waitReady(ctx context.Context, url string, timeout time.Duration) error {
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var last string
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("system under test not ready at %s within %s: last answer %s", url, timeout, last)
		case <-tick.C:
		}
	}
}
