package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	toxiclient "github.com/Shopify/toxiproxy/v2/client"
	"github.com/redis/go-redis/v9"

	"github.com/shakedown-dev/shakedown/env"
	"github.com/shakedown-dev/shakedown/faults/faultproxy"
	"github.com/shakedown-dev/shakedown/harness/harnesstest"
	"github.com/shakedown-dev/shakedown/service"
)

// serveFaultProxy starts a fault proxy in the test's process, its leases checked every 50 ms,
// until the test ends, and returns its API's URL.
func serveFaultProxy(t testing.TB) string {
	t.Helper()
	srv := faultproxy.New()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln, 50*time.Millisecond, func(string, ...any) {}) }()
	t.Cleanup(func() { cancel(); <-served })
	return "http://" + ln.Addr().String()
}

// pingBehindFaultProxy starts a Redis, a fault proxy with a proxy "redis" in front of it, and a
// SUT that PINGs Redis through the proxy for each request to path (every path when "").
func pingBehindFaultProxy(t *testing.T, path string) (api string, proxy *toxiclient.Proxy, rd *env.Service, sut *httptest.Server) {
	t.Helper()
	rd, _ = harnesstest.StartEnv(t, env.Spec{Backend: service.BackendLocal, Services: []string{service.Redis}, StateDir: t.TempDir()}).Service(service.Redis)
	api = serveFaultProxy(t)
	proxy, err := toxiclient.NewClient(api).CreateProxy("redis", "127.0.0.1:0", rd.Direct())
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(&redis.Options{Addr: proxy.Listen, MaxRetries: -1})
	sut = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if path != "" && r.URL.Path != path {
			return
		}
		if err := rdb.Ping(r.Context()).Err(); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
		}
	}))
	t.Cleanup(func() { sut.Close(); rdb.Close() })
	return api, proxy, rd, sut
}

// faultToxics returns the names of p's toxics other than its stages: the faults set on it.
func faultToxics(t testing.TB, p *toxiclient.Proxy) []string {
	ts, err := p.Toxics()
	if err != nil {
		t.Error(err)
	}
	var out []string
	for _, tx := range ts {
		if !slices.Contains(faultproxy.Stages, tx.Name) {
			out = append(out, tx.Name)
		}
	}
	return out
}

// TestFaultProxyKeepsNoFaultOfAStoppedRun: `shakedown run` sets a command fault on a fault proxy
// (the external backend's Toxiproxy server) and is stopped during the fault phase. Interrupted
// (SIGINT), it removes the fault itself and exits 4; killed (SIGKILL), it cannot, and the proxy
// removes the fault once its lease (fault_lease: 1s) runs out unrenewed.
func TestFaultProxyKeepsNoFaultOfAStoppedRun(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no servers")
	}
	api, proxy, rd, sut := pingBehindFaultProxy(t, "")
	dir := t.TempDir()
	file := filepath.Join(dir, "staging.yaml")
	os.WriteFile(file, []byte(fmt.Sprintf(`name: staging
environment:
  services: [redis]
  backend: external
  external:
    toxiproxy: %s
    fault_lease: 1s
    services: {redis: {address: %s}}
sut: {url: %s, ready: /}
load: {rate: 20/s, targets: [{url: /}]}
phases: {warmup: 1s, fault: 60s, recovery: 1s}
faults:
  - {name: ping-errors, type: command, target: redis, fault: error, match: PING, probability: 10%%}
`, api, rd.Direct(), sut.URL)), 0o644)
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGKILL} {
		t.Run(sig.String(), func(t *testing.T) {
			var during []string
			err := signalOnFault(t, sig, []string{"SHAKEDOWN_STATE_DIR=" + t.TempDir()}, []string{"run", file, "--out", dir, "--log-level", "info"},
				func() { during = faultToxics(t, proxy) })
			var exit *exec.ExitError
			if !errors.As(err, &exit) {
				t.Fatalf("exit = %v", err)
			}
			if !slices.Equal(during, []string{"shakedown-ping-errors"}) {
				t.Fatalf("the proxy's faults during the fault phase: %v; want shakedown-ping-errors", during)
			}
			if sig == syscall.SIGINT {
				if exit.ExitCode() != exitAborted || len(faultToxics(t, proxy)) != 0 {
					t.Errorf("interrupted: exit %d, faults left %v; want %d and none", exit.ExitCode(), faultToxics(t, proxy), exitAborted)
				}
				return
			}
			killed := time.Now()
			for len(faultToxics(t, proxy)) > 0 && time.Since(killed) < 10*time.Second {
				time.Sleep(20 * time.Millisecond) // the lease runs out by the proxy's clock: nothing to wait on here
			}
			if left := faultToxics(t, proxy); len(left) > 0 {
				t.Errorf("killed: the fault %v is still on the proxy 10s later; want it gone once its 1s lease ran out", left)
			} else {
				t.Logf("killed: the fault was gone %v after the kill", time.Since(killed).Round(10*time.Millisecond))
			}
		})
	}
}
