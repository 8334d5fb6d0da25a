package harness

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/moby/moby/client"
	"github.com/redis/go-redis/v9"
)

// killGrace is how long a graceful kill waits for the server to exit before it kills it.
const killGrace = 10 * time.Second

// Kill stops the service's server: as a crash does (SIGKILL to its process group, or docker kill)
// or, when graceful, as an orchestrator's shutdown does (SIGTERM, then SIGKILL after 10 s). It
// returns once the server has exited. Its proxy stays up and refuses nothing: connections through
// it fail to reach the server, as they would on a real network. Restart brings it back.
func (s *Service) Kill(ctx context.Context, graceful bool) error {
	sig, grace := syscall.SIGKILL, time.Duration(0)
	if graceful {
		sig, grace = syscall.SIGTERM, killGrace
	}
	switch {
	case s.proc != nil:
		return s.proc.terminate(ctx, sig, grace)
	case s.container != "":
		cli, err := client.New(client.FromEnv)
		if err != nil {
			return err
		}
		defer cli.Close()
		secs := int(grace / time.Second)
		if _, err := cli.ContainerStop(ctx, s.container, client.ContainerStopOptions{Signal: sigName(sig), Timeout: &secs}); err != nil {
			return fmt.Errorf("%s: stop container %.12s with %s: %w", s.Name, s.container, sigName(sig), err)
		}
		return nil
	}
	return fmt.Errorf("%s: nothing to kill: it runs inside the harness", s.Name)
}

func sigName(sig syscall.Signal) string {
	if sig == syscall.SIGKILL {
		return "SIGKILL"
	}
	return "SIGTERM"
}

// Restart starts a killed server again, with the same data folder or container, and returns once
// it answers. A local server comes back on the same port; a container may come back on another
// host port, and the service's proxy is pointed at it, so that the system under test, which uses
// the proxy, sees the same address throughout. Restarting a running server does nothing.
func (s *Service) Restart(ctx context.Context) error {
	switch {
	case s.proc != nil:
		select {
		case <-s.proc.exited():
		default:
			return nil
		}
		if err := s.proc.start(ctx); err != nil {
			return fmt.Errorf("restart: %w", err)
		}
		if s.run != nil {
			s.run.noteChild(s.Name, s.proc.pid())
		}
		return nil
	case s.container != "":
		return s.restartContainer(ctx)
	}
	return fmt.Errorf("%s: nothing to restart: it runs inside the harness", s.Name)
}

func (s *Service) restartContainer(ctx context.Context) error {
	cli, err := client.New(client.FromEnv)
	if err != nil {
		return err
	}
	defer cli.Close()
	if _, err := cli.ContainerStart(ctx, s.container, client.ContainerStartOptions{}); err != nil {
		return fmt.Errorf("%s: start container %.12s: %w", s.Name, s.container, err)
	}
	addr, err := s.ctr.PortEndpoint(ctx, s.port, "")
	if err != nil {
		return fmt.Errorf("%s: the restarted container's port %s: %w", s.Name, s.port, err)
	}
	s.mu.Lock()
	old := s.Direct
	s.Direct, s.DirectURL = addr, strings.Replace(s.DirectURL, old, addr, 1)
	url := s.DirectURL
	s.mu.Unlock()
	if addr != old && s.Proxy != nil {
		if err := s.Proxy.SetUpstream(addr); err != nil {
			return err
		}
	}
	return waitAnswers(ctx, s.Name, url, 30*time.Second)
}

// waitAnswers waits until the service at url answers its protocol's simplest request (a query, a
// PING, GET /api/version), or the wait times out. Docker offers no event for "ready after a
// restart" (its log holds the first start's ready lines too), so this polls, with a bounded wait.
func waitAnswers(ctx context.Context, name, url string, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	var last error
	for {
		if last = answer(ctx, name, url); last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s at %s did not answer within %v after its restart: %w", name, url, limit, last)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func answer(ctx context.Context, name, url string) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	switch name {
	case Postgres:
		c, err := pgx.Connect(ctx, url)
		if err != nil {
			return err
		}
		defer c.Close(context.Background())
		return c.Ping(ctx)
	case Redis:
		opt, err := redis.ParseURL(url)
		if err != nil {
			return err
		}
		opt.MaxRetries = -1
		c := redis.NewClient(opt)
		defer c.Close()
		return c.Ping(ctx).Err()
	default:
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/api/version", nil)
		if err != nil {
			return err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET /api/version: %s", resp.Status)
		}
		return nil
	}
}
