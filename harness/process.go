package harness

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
// harness (Pdeathsig) and is stopped by signalling its whole group.
type process struct {
	name string
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	err  error         // its exit error, once done

	mu   sync.Mutex
	tail []string // the last lines it printed, for error messages
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
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "LC_ALL=C", "TZ=UTC")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if cred != nil {
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: cred.uid, Gid: cred.gid}
	}
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: start %s: %w", name, bin, err)
	}
	p := &process{name: name, cmd: cmd, done: make(chan struct{})}
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
			if !seen && strings.Contains(line, ready) {
				seen = true
				close(readyc)
			}
		}
		io.Copy(io.Discard, pr)
	}()
	go func() {
		p.err = cmd.Wait()
		pw.Close()
		close(p.done)
	}()
	select {
	case <-readyc:
		return p, nil
	case <-p.done:
		return nil, fmt.Errorf("%s exited before it was ready (%v); its last words:\n%s", name, p.err, p.lastWords())
	case <-ctx.Done():
		p.stop(context.Background())
		return nil, fmt.Errorf("%s not ready: %w; its last words:\n%s", name, ctx.Err(), p.lastWords())
	}
}

func (p *process) lastWords() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return "  " + strings.Join(p.tail, "\n  ")
}

// pid returns the process (and process group) id.
func (p *process) pid() int { return p.cmd.Process.Pid }

// stop asks the group to stop (SIGTERM), then kills it (SIGKILL) if it has not exited within 5 s
// or by ctx's end, and waits for the process.
func (p *process) stop(ctx context.Context) error {
	select {
	case <-p.done:
		return nil
	default:
	}
	syscall.Kill(-p.pid(), syscall.SIGTERM)
	t := time.NewTimer(5 * time.Second)
	defer t.Stop()
	select {
	case <-p.done:
		return nil
	case <-t.C:
	case <-ctx.Done():
	}
	if err := syscall.Kill(-p.pid(), syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("%s: kill process group %d: %w", p.name, p.pid(), err)
	}
	<-p.done
	return nil
}

func sysProcAttr(cred *credential) *syscall.SysProcAttr {
	a := &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if cred != nil {
		a.Credential = &syscall.Credential{Uid: cred.uid, Gid: cred.gid}
	}
	return a
}
