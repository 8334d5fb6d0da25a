package harness

import (
	"context"
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/moby/moby/client"
)

// Pause freezes the service's server: SIGSTOP to its process group on the local backend, docker
// pause on the docker backend. Its connections stay open; nothing answers until Resume.
func (s *Service) Pause(ctx context.Context) error {
	switch {
	case s.proc != nil:
		return s.signal(syscall.SIGSTOP)
	case s.container != "":
		return s.docker(ctx, true)
	}
	return fmt.Errorf("%s: nothing to pause: it runs inside the harness", s.Name)
}

// Resume thaws a paused server.
func (s *Service) Resume(ctx context.Context) error {
	switch {
	case s.proc != nil:
		return s.signal(syscall.SIGCONT)
	case s.container != "":
		return s.docker(ctx, false)
	}
	return fmt.Errorf("%s: nothing to resume: it runs inside the harness", s.Name)
}

// signal sends sig to the server's process group and returns once the server's state shows it
// (stopped for SIGSTOP, running again for SIGCONT): signals are delivered asynchronously, and a
// fault's window must start when the server is really frozen.
func (s *Service) signal(sig syscall.Signal) error {
	pid := s.proc.pid()
	if err := syscall.Kill(-pid, sig); err != nil {
		return fmt.Errorf("%s: %v to process group %d: %w", s.Name, sig, pid, err)
	}
	deadline := time.Now().Add(time.Second)
	for (procState(pid) == "T") != (sig == syscall.SIGSTOP) {
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: process %d did not take %v within 1s (state %s)", s.Name, pid, sig, procState(pid))
		}
		time.Sleep(time.Millisecond) // the kernel offers no event for it; the wait is bounded
	}
	return nil
}

// procState returns the state letter of /proc/<pid>/stat ("R", "S", "T", ...), or "".
func procState(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 || i+2 >= len(s) {
		return ""
	}
	return s[i+2 : i+3]
}

func (s *Service) docker(ctx context.Context, pause bool) error {
	cli, err := client.New(client.FromEnv)
	if err != nil {
		return err
	}
	defer cli.Close()
	if pause {
		_, err = cli.ContainerPause(ctx, s.container, client.ContainerPauseOptions{})
	} else {
		_, err = cli.ContainerUnpause(ctx, s.container, client.ContainerUnpauseOptions{})
	}
	if err != nil {
		return fmt.Errorf("%s: docker pause=%v of %.12s: %w", s.Name, pause, s.container, err)
	}
	return nil
}
