package health

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func sleeper(d time.Duration, err error) func(context.Context) error {
	return func(ctx context.Context) error {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			return err
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func mustNew(t *testing.T, c Config) *Checker {
	t.Helper()
	h, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// TestChecksRunConcurrently: three 1s checks take 1s, not 3s.
func TestChecksRunConcurrently(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := mustNew(t, Config{Readiness: []Check{
			{Name: "postgres", Run: sleeper(time.Second, nil), Critical: true},
			{Name: "redis", Run: sleeper(time.Second, nil)},
			{Name: "ollama", Run: sleeper(time.Second, nil)},
		}})
		start := time.Now()
		r := h.Ready(context.Background())
		if d := time.Since(start); d != time.Second || r.Status != Healthy {
			t.Errorf("Ready() = %s after %v; want healthy after 1s", r.Status, d)
		}
	})
}

func TestStatuses(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	tests := []struct {
		name   string
		checks []Check
		want   Status
		errIn  string
	}{
		{"all good", []Check{{Name: "a", Run: sleeper(0, nil), Critical: true}}, Healthy, ""},
		{"non-critical fails", []Check{{Name: "a", Run: sleeper(0, nil), Critical: true}, {Name: "cache", Run: sleeper(0, boom)}}, Degraded, "boom"},
		{"critical fails", []Check{{Name: "db", Run: sleeper(0, boom), Critical: true}, {Name: "cache", Run: sleeper(0, boom)}}, Unhealthy, "boom"},
		{"timeout", []Check{{Name: "db", Run: sleeper(time.Hour, nil), Timeout: time.Second, Critical: true}}, Unhealthy, "no answer within 1s"},
		{"ignores its context", []Check{{Name: "db", Run: func(context.Context) error { time.Sleep(time.Hour); return nil }, Timeout: time.Second, Critical: true}}, Unhealthy, "no answer within 1s"},
		{"panic", []Check{{Name: "db", Run: func(context.Context) error { panic("nil map") }, Critical: true}}, Unhealthy, "check panicked: nil map"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				r := mustNew(t, Config{Readiness: tt.checks}).Ready(context.Background())
				var errs []string
				for _, c := range r.Checks {
					errs = append(errs, c.Error)
				}
				if r.Status != tt.want || !strings.Contains(strings.Join(errs, ";"), tt.errIn) {
					t.Errorf("Ready() = %s with errors %q; want %s with %q", r.Status, errs, tt.want, tt.errIn)
				}
				time.Sleep(time.Hour) // let a check that ignored its context finish: goleak checks
			})
		})
	}
}

func TestHandlers(t *testing.T) {
	t.Parallel()
	var dbUp atomic.Bool
	h := mustNew(t, Config{
		Liveness: []Check{{Name: "loop", Run: sleeper(0, nil)}},
		Readiness: []Check{
			{Name: "postgres", Critical: true, Run: func(context.Context) error {
				if !dbUp.Load() {
					return errors.New("connection refused")
				}
				return nil
			}},
			{Name: "redis", Run: sleeper(0, errors.New("timeout"))},
		},
	})
	srv := httptest.NewServer(h.Handler())
	defer srv.Close()
	get := func(path string) (int, Report) {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var r Report
		if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
			t.Fatalf("GET %s: body: %v", path, err)
		}
		return resp.StatusCode, r
	}
	if code, r := get("/health/ready"); code != 503 || r.Status != Unhealthy {
		t.Errorf("ready with the database down = %d %s; want 503 unhealthy", code, r.Status)
	}
	dbUp.Store(true)
	if code, r := get("/health/ready"); code != 200 || r.Status != Degraded || r.Checks[1].Error != "timeout" {
		t.Errorf("ready with redis down = %d %+v; want 200 degraded naming redis' error", code, r)
	}
	if code, r := get("/health/live"); code != 200 || r.Status != Healthy {
		t.Errorf("live = %d %s; want 200 healthy", code, r.Status)
	}
}

func TestCacheAndSince(t *testing.T) {
	t.Parallel()
	now := time.Unix(1000, 0)
	var runs atomic.Int32
	var fail atomic.Bool
	h := mustNew(t, Config{CacheFor: 5 * time.Second, Now: func() time.Time { return now }, Readiness: []Check{{Name: "db", Critical: true, Run: func(context.Context) error {
		runs.Add(1)
		if fail.Load() {
			return errors.New("down")
		}
		return nil
	}}}})
	h.Ready(context.Background())
	now = now.Add(4 * time.Second)
	fail.Store(true)
	if r := h.Ready(context.Background()); r.Status != Healthy || runs.Load() != 1 {
		t.Errorf("within CacheFor: %s after %d runs; want the cached healthy report, 1 run", r.Status, runs.Load())
	}
	now = now.Add(time.Second)
	r := h.Ready(context.Background())
	if r.Status != Unhealthy || runs.Load() != 2 || !r.Checks[0].Since.Equal(now) {
		t.Errorf("after CacheFor: %s, %d runs, since %v; want unhealthy, 2 runs, since %v", r.Status, runs.Load(), r.Checks[0].Since, now)
	}
	changed := now
	now = now.Add(10 * time.Second)
	if r := h.Ready(context.Background()); !r.Checks[0].Since.Equal(changed) {
		t.Errorf("Since = %v; want the time of the change, %v", r.Checks[0].Since, changed)
	}
}

func TestNewValidates(t *testing.T) {
	t.Parallel()
	_, err := New(Config{Readiness: []Check{{Name: "a"}, {Name: "a", Run: sleeper(0, nil), Timeout: -1}}})
	for _, want := range []string{`Readiness[0] ("a").Run is nil`, `Readiness[1].Name = "a"; want a unique`, `Readiness[1] ("a").Timeout = -1ns`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("New = %v; want it to contain %q", err, want)
		}
	}
}
