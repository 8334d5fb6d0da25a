package faults_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ollama/ollama/api"
	"github.com/redis/go-redis/v9"

	"github.com/shakedown-dev/shakedown/env"
	"github.com/shakedown-dev/shakedown/faults"
	"github.com/shakedown-dev/shakedown/faults/httpfault"
	"github.com/shakedown-dev/shakedown/harness/harnesstest"
	"github.com/shakedown-dev/shakedown/service"
	"github.com/shakedown-dev/shakedown/units"
)

func dur(d time.Duration) units.Duration { return units.Duration(d) }

// get reads key over a fresh connection through addr, returning the time taken.
func get(ctx context.Context, addr, key string) (string, time.Duration, error) {
	rdb := redis.NewClient(&redis.Options{Addr: addr, PoolSize: 1, MaxRetries: -1, DialTimeout: 2 * time.Second, ReadTimeout: 5 * time.Second})
	defer rdb.Close()
	start := time.Now()
	v, err := rdb.Get(ctx, key).Result()
	return v, time.Since(start), err
}

// TestNetworkKindsThroughToxiproxy applies every network kind to a real Redis through the
// embedded Toxiproxy, sees its effect with the real client, undoes it and sees Redis recover.
func TestNetworkKindsThroughToxiproxy(t *testing.T) {
	e := harnesstest.StartEnv(t, env.Spec{Backend: service.BackendLocal, Services: []string{service.Redis}, StateDir: t.TempDir()})
	rs, _ := e.Service(service.Redis)
	ctx := context.Background()
	big := strings.Repeat("x", 50_000)
	if err := redis.NewClient(&redis.Options{Addr: rs.Direct()}).Set(ctx, "big", big, 0).Err(); err != nil {
		t.Fatal(err)
	}
	c := func(kind string) faults.Common { return faults.Common{Name: kind, Type: kind, Target: service.Redis} }
	tests := []struct {
		spec  faults.Spec
		check func(v string, took time.Duration, err error) bool
		want  string
	}{
		{&faults.Latency{Common: c("latency"), Latency: dur(300 * time.Millisecond)},
			func(v string, took time.Duration, err error) bool { return err == nil && took >= 300*time.Millisecond }, "the value after at least 300ms"},
		{&faults.Bandwidth{Common: c("bandwidth"), Rate: 50},
			func(v string, took time.Duration, err error) bool {
				return err == nil && v == big && took >= 500*time.Millisecond
			}, "50 KB at 50 KB/s: at least 0.5s"},
		{&faults.Slicer{Common: c("slicer"), AverageSize: 1000, Delay: dur(10 * time.Millisecond)},
			func(v string, took time.Duration, err error) bool {
				return err == nil && v == big && took >= 300*time.Millisecond
			}, "50 slices 10ms apart"},
		{&faults.LimitData{Common: c("limit_data"), Bytes: 100},
			func(v string, took time.Duration, err error) bool { return err != nil }, "an error: the connection closes after 100 bytes"},
		{&faults.ResetPeer{Common: c("reset_peer")},
			func(v string, took time.Duration, err error) bool {
				return errors.Is(err, syscall.ECONNRESET) || isEOF(err)
			}, "a reset connection"},
		{&faults.Timeout{Common: c("timeout"), Timeout: dur(200 * time.Millisecond)},
			func(v string, took time.Duration, err error) bool { return err != nil && took >= 200*time.Millisecond }, "an error after 200ms"},
		{&faults.SlowClose{Common: c("slow_close"), Delay: dur(100 * time.Millisecond)},
			func(v string, took time.Duration, err error) bool { return err == nil && v == big }, "the value (it only delays the close)"},
		{&faults.ProxyDown{Common: c("proxy_down")},
			func(v string, took time.Duration, err error) bool { return errors.Is(err, syscall.ECONNREFUSED) }, "connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.spec.Kind(), func(t *testing.T) {
			if err := tt.spec.Validate(); err != nil {
				t.Fatal(err)
			}
			f, err := tt.spec.Build(e.FaultTargets())
			if err != nil {
				t.Fatal(err)
			}
			if err := f.Apply(ctx); err != nil {
				t.Fatal(err)
			}
			v, took, err := get(ctx, rs.Proxied, "big")
			if !tt.check(v, took, err) {
				t.Errorf("under %s: %d bytes after %v, err %v; want %s", tt.spec.Kind(), len(v), took, err, tt.want)
			}
			if err := f.Undo(ctx); err != nil {
				t.Fatal(err)
			}
			if err := f.Undo(ctx); err != nil {
				t.Errorf("second Undo: %v", err)
			}
			if v, took, err := get(ctx, rs.Proxied, "big"); err != nil || v != big || took > 200*time.Millisecond {
				t.Errorf("after Undo: %d bytes after %v, err %v; want the value at once", len(v), took, err)
			}
		})
	}
}

func isEOF(err error) bool {
	var op *net.OpError
	return errors.Is(err, io.EOF) || errors.As(err, &op)
}

// TestHTTPKindOnTheMock: the http kind sets its fault on the mock Ollama; the official client
// sees the 503, then, once undone, an answer.
func TestHTTPKindOnTheMock(t *testing.T) {
	e := harnesstest.StartEnv(t, env.Spec{Backend: service.BackendLocal, Services: []string{service.Ollama}, StateDir: t.TempDir()})
	ol, _ := e.Service(service.Ollama)
	spec := &faults.HTTP{Common: faults.Common{Name: "llm-down", Type: "http", Target: service.Ollama}, Action: httpfault.Action{Kind: httpfault.KindError, Status: 503, PathPrefix: "/api/chat"}}
	f, err := spec.Build(e.FaultTargets())
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(ol.URL)
	hc := &http.Client{Transport: &http.Transport{}}
	defer hc.CloseIdleConnections()
	c := api.NewClient(u, hc)
	chat := func() error {
		no := false
		return c.Chat(context.Background(), &api.ChatRequest{Model: "llama3.2", Stream: &no, Messages: []api.Message{{Role: "user", Content: "hi"}}}, func(api.ChatResponse) error { return nil })
	}
	f.Apply(context.Background())
	var se api.StatusError
	if err := chat(); !errors.As(err, &se) || se.StatusCode != 503 {
		t.Errorf("chat under the fault = %v; want 503", err)
	}
	f.Undo(context.Background())
	if err := chat(); err != nil {
		t.Errorf("chat after Undo = %v", err)
	}
}

// TestPauseKind: the pause kind freezes the target's server through the environment's targets.
func TestPauseKind(t *testing.T) {
	e := harnesstest.StartEnv(t, env.Spec{Backend: service.BackendLocal, Services: []string{service.Redis}, StateDir: t.TempDir()})
	rs, _ := e.Service(service.Redis)
	spec := &faults.Pause{Common: faults.Common{Name: "freeze", Type: "pause", Target: service.Redis}}
	f, err := spec.Build(e.FaultTargets())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: rs.Proxied, ReadTimeout: 300 * time.Millisecond, MaxRetries: -1, PoolSize: 1})
	defer rdb.Close()
	if err := f.Apply(ctx); err != nil {
		t.Fatal(err)
	}
	if err := rdb.Ping(ctx).Err(); err == nil {
		t.Error("PING answered while the server was paused")
	}
	if err := f.Undo(ctx); err != nil {
		t.Fatal(err)
	}
	if err := rdb.Ping(ctx).Err(); err != nil {
		t.Errorf("PING after Undo = %v", err)
	}
}

// TestKillKind: the kill kind crashes the target's server for its window and restarts it at the
// window's end; the removal event says how long the restart took.
func TestKillKind(t *testing.T) {
	e := harnesstest.StartEnv(t, env.Spec{Backend: service.BackendLocal, Services: []string{service.Redis}, StateDir: t.TempDir()})
	rs, _ := e.Service(service.Redis)
	spec := &faults.Kill{Common: faults.Common{Name: "crash", Type: "kill", Target: service.Redis}}
	f, err := spec.Build(e.FaultTargets())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: rs.Proxied, MaxRetries: -1, DialTimeout: time.Second})
	defer rdb.Close()
	if err := f.Apply(ctx); err != nil {
		t.Fatal(err)
	}
	if err := rdb.Ping(ctx).Err(); err == nil {
		t.Error("PING answered while the server was killed")
	}
	if err := f.Undo(ctx); err != nil {
		t.Fatal(err)
	}
	if err := rdb.Ping(ctx).Err(); err != nil {
		t.Errorf("PING after Undo = %v", err)
	}
	if r := f.(faults.Reporter).Report(); !strings.HasPrefix(r, "restarted; answering") {
		t.Errorf("Report() = %q", r)
	}
	if err := f.Undo(ctx); err != nil {
		t.Errorf("a second Undo = %v; want nothing done", err)
	}
}
