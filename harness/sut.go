package harness

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"

	"github.com/shakedown-dev/shakedown/env"
	"github.com/shakedown-dev/shakedown/service"
)

// startSUT starts (or finds) the system under test and returns its base URL and how to stop it.
// A command and a builtin get each service's proxied URL under service.URLVar (a command in its
// environment, with a PORT to listen on, in its own process group).
func startSUT(ctx context.Context, p *Plan, e *env.Env) (string, func(), error) {
	sut := p.Scenario.SUT
	vars := map[string]string{}
	for _, s := range e.Services() {
		vars[service.URLVar(s.Name)] = s.URL
	}
	switch {
	case sut.URL != "":
		return sut.URL, func() {}, nil
	case p.Builtin != nil:
		url, stop, err := p.Builtin.Start(ctx, sut.Args, func(k string) string { return vars[k] })
		if err != nil {
			return "", nil, fmt.Errorf("builtin %s: %w", sut.Builtin, err)
		}
		return url, stop, nil
	}
	port, err := env.FreePort()
	if err != nil {
		return "", nil, err
	}
	cmd := exec.Command(sut.Command[0], append(sut.Command[1:], sut.Args...)...)
	cmd.Env = append(os.Environ(), "PORT="+strconv.Itoa(port))
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return "", nil, fmt.Errorf("start %q: %w", sut.Command, err)
	}
	e.NoteChild("sut", cmd.Process.Pid)
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
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
	return fmt.Sprintf("http://127.0.0.1:%d", port), stop, nil
}

// waitReady polls url until it answers 200, for at most timeout.
func waitReady(ctx context.Context, url string, timeout time.Duration) error {
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
