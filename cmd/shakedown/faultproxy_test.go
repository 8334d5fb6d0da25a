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

// TestFaultProxyKeepsNoFaultOfAStoppedRun: `shakedown run` sets a command fault on a fault proxy
// (the external backend's Toxiproxy server) and is stopped during the fault phase. Interrupted
// (SIGINT), it removes the fault itself and exits 4; killed (SIGKILL), it cannot, and the proxy
// removes the fault once its lease (fault_lease: 1s) runs out unrenewed.
func TestFaultProxyKeepsNoFaultOfAStoppedRun(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no servers")
	}
	rd, _ := harnesstest.StartEnv(t, env.Spec{Backend: service.BackendLocal, Services: []string{service.Redis}, StateDir: t.TempDir()}).Service(service.Redis)
	srv := faultproxy.New()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln, 50*time.Millisecond, t.Logf) }()
	defer func() { cancel(); <-served }()
	api := "http://" + ln.Addr().String()
	proxy, err := toxiclient.NewClient(api).CreateProxy("redis", "127.0.0.1:0", rd.Direct())
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(&redis.Options{Addr: proxy.Listen, MaxRetries: -1})
	defer rdb.Close()
	sut := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := rdb.Ping(r.Context()).Err(); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
		}
	}))
	defer sut.Close()
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
	faultToxics := func() []string {
		ts, err := proxy.Toxics()
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, tx := range ts {
			if !slices.Contains(faultproxy.Stages, tx.Name) {
				out = append(out, tx.Name)
			}
		}
		return out
	}
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGKILL} {
		t.Run(sig.String(), func(t *testing.T) {
			var during []string
			err := signalOnFault(t, sig, []string{"SHAKEDOWN_STATE_DIR=" + t.TempDir()}, []string{"run", file, "--out", dir, "--log-level", "info"},
				func() { during = faultToxics() })
			var exit *exec.ExitError
			if !errors.As(err, &exit) {
				t.Fatalf("exit = %v", err)
			}
			if !slices.Equal(during, []string{"shakedown-ping-errors"}) {
				t.Fatalf("the proxy's faults during the fault phase: %v; want shakedown-ping-errors", during)
			}
			if sig == syscall.SIGINT {
				if exit.ExitCode() != exitAborted || len(faultToxics()) != 0 {
					t.Errorf("interrupted: exit %d, faults left %v; want %d and none", exit.ExitCode(), faultToxics(), exitAborted)
				}
				return
			}
			killed := time.Now()
			for len(faultToxics()) > 0 && time.Since(killed) < 10*time.Second {
				time.Sleep(20 * time.Millisecond) // the lease runs out by the proxy's clock: nothing to wait on here
			}
			if left := faultToxics(); len(left) > 0 {
				t.Errorf("killed: the fault %v is still on the proxy 10s later; want it gone once its 1s lease ran out", left)
			} else {
				t.Logf("killed: the fault was gone %v after the kill", time.Since(killed).Round(10*time.Millisecond))
			}
		})
	}
}
