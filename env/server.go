package env

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"

	"github.com/shakedown-dev/shakedown/faults"
	"github.com/shakedown-dev/shakedown/service"
)

// server is a dependency's server as its backend runs it: what process faults act on. The local
// backend's is a process group (localServer), the docker backend's a container
// (containerServer).
type server interface {
	// pause freezes the server and returns once it is frozen; resume thaws it.
	pause(ctx context.Context) error
	resume(ctx context.Context) error
	// kill stops the server, as a crash does (SIGKILL) or, when graceful, as an orchestrator
	// does (SIGTERM, then SIGKILL after killGrace), and returns once it has exited.
	kill(ctx context.Context, graceful bool) error
	// restart starts a killed server again with its data and returns its address, which may
	// have moved. Restarting a running server does nothing.
	restart(ctx context.Context) (addr string, err error)
}

// killGrace is how long a graceful kill waits for the server to exit before it kills it.
const killGrace = 10 * time.Second

var _ faults.Process = (*Service)(nil)

// Pause freezes the service's server: SIGSTOP to its process group on the local backend, docker
// pause on the docker backend. Its connections stay open; nothing answers until Resume.
func (s *Service) Pause(ctx context.Context) error {
	if s.srv == nil {
		return s.cannot("pause")
	}
	return s.srv.pause(ctx)
}

// Resume thaws a paused server.
func (s *Service) Resume(ctx context.Context) error {
	if s.srv == nil {
		return s.cannot("resume")
	}
	return s.srv.resume(ctx)
}

// Kill stops the service's server: as a crash does (SIGKILL to its process group, or docker kill)
// or, when graceful, as an orchestrator's shutdown does (SIGTERM, then SIGKILL after 10 s). It
// returns once the server has exited. Its proxy stays up and refuses nothing: connections through
// it fail to reach the server, as they would on a real network. Restart brings it back.
func (s *Service) Kill(ctx context.Context, graceful bool) error {
	if s.srv == nil {
		return s.cannot("kill")
	}
	return s.srv.kill(ctx, graceful)
}

// Restart starts a killed server again, with the same data folder or container, and returns once
// it answers. A local server comes back on the same port; a container may come back on another
// host port, and the service's proxy is pointed at it, so that the system under test, which uses
// the proxy, sees the same address throughout. Restarting a running server does nothing.
func (s *Service) Restart(ctx context.Context) error {
	if s.srv == nil {
		return s.cannot("restart")
	}
	addr, err := s.srv.restart(ctx)
	if err != nil {
		return fmt.Errorf("%s: restart: %w", s.Name, err)
	}
	if old := s.Direct(); addr != old {
		s.setDirect(addr)
		if s.Proxy != nil {
			if err := s.Proxy.SetUpstream(addr); err != nil {
				return err
			}
		}
	}
	return waitAnswers(ctx, s.Name, s.DirectURL(), 30*time.Second)
}

func (s *Service) cannot(what string) error {
	return fmt.Errorf("%s: cannot %s it: %s", s.Name, what, s.untouched)
}

// waitAnswers waits until the service at url answers its protocol's simplest request (a query, a
// PING, GET /api/version), or the wait times out. Docker offers no event for "ready after a
// restart" (its log holds the first start's ready lines too), so this polls, with a bounded wait.
func waitAnswers(ctx context.Context, name, url string, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		last := answer(ctx, name, url)
		if last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s at %s did not answer within %v after its restart: %w", name, url, limit, last)
		case <-tick.C:
		}
	}
}

func answer(ctx context.Context, name, url string) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	switch name {
	case service.Postgres:
		c, err := pgx.Connect(ctx, url)
		if err != nil {
			return err
		}
		defer c.Close(context.Background())
		return c.Ping(ctx)
	case service.Redis:
		opt, err := redis.ParseURL(url)
		if err != nil {
			return err
		}
		opt.MaxRetries = -1
		c := redis.NewClient(opt)
		defer c.Close()
		return c.Ping(ctx).Err()
	}
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
