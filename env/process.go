package env

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// process is a server started as a child process in its own process group. It dies with the
// harness (Pdeathsig) and is stopped by signalling its whole group. It can be started again with
// the same command after it exited (the kill fault restarts it).
type process struct {
	name            string
	cred            *credential
	dir, ready, bin string
	args            []string
	addr            string // where it listens, once known

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when the current process has exited
	err  error         // its exit error, once done
	tail []string      // the last lines it printed, for error messages
}

// credential is the unprivileged user a server runs as when the harness runs as root.
type credential struct {
	uid, gid uint32
	name     string
}

// unprivileged returns the credential of the named system user when the harness runs as root, or
// nil when it does not (the server then runs as the harness's own user).
func unprivileged(name string) (*credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup(name)
	if err != nil {
		return nil, fmt.Errorf("the harness runs as root and the server refuses root, but there is no %q user to run it as: %w", name, err)
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)
	return &credential{uid: uint32(uid), gid: uint32(gid), name: name}, nil
}

// startProcess starts bin with args and waits until a line of its output contains ready, the
// process exits, or ctx ends.
func startProcess(ctx context.Context, name string, cred *credential, dir, ready, bin string, args ...string) (*process, error) {
	p := &process{name: name, cred: cred, dir: dir, ready: ready, bin: bin, args: args}
	if err := p.start(ctx); err != nil {
		return nil, err
	}
	return p, nil
}

// start starts the process's command and waits for its ready line.
func (p *process) start(ctx context.Context) error {
	cmd := exec.Command(p.bin, p.args...)
	cmd.Dir = p.dir
	cmd.Env = append(os.Environ(), "LC_ALL=C", "TZ=UTC")
	cmd.SysProcAttr = sysProcAttr(p.cred)
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("%s: start %s: %w", p.name, p.bin, err)
	}
	done := make(chan struct{})
	p.mu.Lock()
	p.cmd, p.done, p.err, p.tail = cmd, done, nil, nil
	p.mu.Unlock()
	readyc := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(pr)
		seen := false
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			p.tail = append(p.tail, line)
			if len(p.tail) > 20 {
				p.tail = p.tail[1:]
			}
			p.mu.Unlock()
			if !seen && strings.Contains(line, p.ready) {
				seen = true
				close(readyc)
			}
		}
		io.Copy(io.Discard, pr)
	}()
	go func() {
		err := cmd.Wait()
		p.mu.Lock()
		p.err = err
		p.mu.Unlock()
		pw.Close()
		close(done)
	}()
	select {
	case <-readyc:
		return nil
	case <-done:
		return fmt.Errorf("%s exited before it was ready (%v); its last words:\n%s", p.name, p.exitErr(), p.lastWords())
	case <-ctx.Done():
		p.stop(context.Background())
		return fmt.Errorf("%s not ready: %w; its last words:\n%s", p.name, ctx.Err(), p.lastWords())
	}
}

func (p *process) exitErr() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

func (p *process) lastWords() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return "  " + strings.Join(p.tail, "\n  ")
}

// pid returns the current process (and process group) id.
func (p *process) pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cmd.Process.Pid
}

// exited returns a channel closed when the current process has exited.
func (p *process) exited() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.done
}

// stop asks the group to stop (SIGTERM), then kills it (SIGKILL) if it has not exited within 5 s
// or by ctx's end, and waits for the process.
func (p *process) stop(ctx context.Context) error {
	return p.terminate(ctx, syscall.SIGTERM, 5*time.Second)
}

// terminate sends sig to the process group; if the process has not exited within grace (or by
// ctx's end) it kills the group with SIGKILL. It returns once the process has exited.
func (p *process) terminate(ctx context.Context, sig syscall.Signal, grace time.Duration) error {
	done, pid := p.exited(), p.pid()
	select {
	case <-done:
		return nil
	default:
	}
	syscall.Kill(-pid, sig)
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-done:
		return nil
	case <-t.C:
	case <-ctx.Done():
	}
	if err := syscall.Kill(-pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("%s: kill process group %d: %w", p.name, pid, err)
	}
	<-done
	return nil
}

func sysProcAttr(cred *credential) *syscall.SysProcAttr {
	a := &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if cred != nil {
		a.Credential = &syscall.Credential{Uid: cred.uid, Gid: cred.gid}
	}
	return a
}
