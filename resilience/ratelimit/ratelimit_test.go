package ratelimit

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakeClock is a clock the test moves.
type fakeClock struct{ t atomic.Int64 }

func (c *fakeClock) now() time.Duration      { return time.Duration(c.t.Load()) }
func (c *fakeClock) advance(d time.Duration) { c.t.Add(int64(d)) }

func mustNew(t *testing.T, c Config) *Limiter {
	t.Helper()
	l, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestSmooth: with a burst of 1, calls are spaced 1/Rate apart, and a refusal says how long
// until the next token.
func TestSmooth(t *testing.T) {
	t.Parallel()
	clk := &fakeClock{}
	l := mustNew(t, Config{Rate: 10, Now: clk.now})
	if !l.Allow() {
		t.Fatal("the first call refused")
	}
	if ok, after := l.Take(); ok || after != 100*time.Millisecond {
		t.Fatalf("the second call at once: %v, retry after %s; want refused, 100ms", ok, after)
	}
	clk.advance(99 * time.Millisecond)
	if l.Allow() {
		t.Fatal("allowed 99ms after the first")
	}
	clk.advance(time.Millisecond)
	if !l.Allow() {
		t.Fatal("refused 100ms after the first")
	}
}

// TestBursty: a full bucket lets Burst calls through back to back, then refills at Rate.
func TestBursty(t *testing.T) {
	t.Parallel()
	clk := &fakeClock{}
	l := mustNew(t, Config{Rate: 10, Burst: 5, Now: clk.now})
	n := 0
	for l.Allow() {
		n++
	}
	if n != 5 {
		t.Fatalf("%d back to back; want the burst of 5", n)
	}
	clk.advance(300 * time.Millisecond)
	n = 0
	for l.Allow() {
		n++
	}
	if n != 3 {
		t.Errorf("%d after 300ms; want 3 refilled", n)
	}
	clk.advance(time.Hour)
	n = 0
	for l.Allow() {
		n++
	}
	if n != 5 {
		t.Errorf("%d after an hour; want no more than the burst of 5", n)
	}
}

// TestLongRunRate: eight goroutines calling as fast as they can for 10 s get Rate × 10 s + Burst
// calls, no more, whatever the interleaving.
func TestLongRunRate(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		l := mustNew(t, Config{Rate: 100, Burst: 20})
		var allowed atomic.Int64
		var wg sync.WaitGroup
		end := time.Now().Add(10 * time.Second)
		for range 8 {
			wg.Go(func() {
				for time.Now().Before(end) {
					if l.Allow() {
						allowed.Add(1)
					}
					time.Sleep(time.Millisecond)
				}
			})
		}
		wg.Wait()
		if n := allowed.Load(); n < 1019 || n > 1021 {
			t.Errorf("%d calls allowed in 10s; want 100/s × 10s + 20 = 1020", n)
		}
	})
}

// TestWait: Wait sleeps until its token is due; with a deadline before that it refuses at once
// and takes nothing; cancelled while it sleeps, it gives its token back.
func TestWait(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		l := mustNew(t, Config{Name: "api", Rate: 10})
		ctx := context.Background()
		start := time.Now()
		for range 3 {
			if err := l.Wait(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if took := time.Since(start); took != 200*time.Millisecond {
			t.Fatalf("three Waits took %s; want 200ms (the first at once)", took)
		}
		short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		if err := l.Wait(short); !errors.Is(err, ErrLimited) || !strings.Contains(err.Error(), `"api"`) {
			t.Fatalf("Wait with 50ms left = %v; want ErrLimited at once", err)
		}
		if time.Since(start) != 200*time.Millisecond {
			t.Fatal("a refused Wait slept")
		}
		cctx, stop := context.WithCancel(ctx)
		go func() { time.Sleep(30 * time.Millisecond); stop() }()
		if err := l.Wait(cctx); !errors.Is(err, context.Canceled) {
			t.Fatalf("a cancelled Wait = %v; want context.Canceled", err)
		}
		time.Sleep(70 * time.Millisecond) // 100ms after the third token
		if !l.Allow() {
			t.Error("the cancelled Wait's token was not given back")
		}
	})
}

// TestKeyed: each key has its own bucket; a key whose bucket refilled is forgotten; past MaxKeys
// a new key is refused until old ones are forgotten.
func TestKeyed(t *testing.T) {
	t.Parallel()
	clk := &fakeClock{}
	k, err := NewKeyed(Config{Name: "per-client", Rate: 1, Burst: 2, Now: clk.now}, 2)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"a", "a", "b"} {
		if !k.Allow(key) {
			t.Fatalf("%s refused", key)
		}
	}
	if k.Allow("a") {
		t.Error("a's third call allowed; want its burst of 2 spent")
	}
	if ok, after := k.Take("c"); ok || after != time.Second {
		t.Errorf("a third key past MaxKeys 2: %v, %s; want refused, 1s", ok, after)
	}
	clk.advance(2 * time.Second) // a and b refilled
	if !k.Allow("c") || k.Len() != 1 {
		t.Errorf("after the buckets refilled: c refused or %d keys; want c admitted, a and b forgotten", k.Len())
	}
}

// TestHandler: a refused request is answered 429 with Retry-After in whole seconds, at least 1.
func TestHandler(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		rate  float64
		after string
	}{{10, "1"}, {0.1, "10"}} {
		clk := &fakeClock{}
		ok := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
		srv := httptest.NewServer(Handler(mustNew(t, Config{Rate: tt.rate, Now: clk.now}), ok))
		codes := []int{}
		var retryAfter string
		for range 2 {
			resp, err := http.Get(srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			codes = append(codes, resp.StatusCode)
			retryAfter = resp.Header.Get("Retry-After")
		}
		srv.Close()
		if codes[0] != 200 || codes[1] != http.StatusTooManyRequests || retryAfter != tt.after {
			t.Errorf("rate %v: %v, Retry-After %q; want 200 then 429 with %s", tt.rate, codes, retryAfter, tt.after)
		}
	}
	k, _ := NewKeyed(Config{Rate: 1}, 0)
	srv := httptest.NewServer(KeyedHandler(k, func(r *http.Request) string { return r.Header.Get("X-Api-Key") }, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})))
	defer srv.Close()
	for _, tt := range []struct {
		key  string
		want int
	}{{"a", 200}, {"b", 200}, {"a", 429}} {
		req, _ := http.NewRequest("GET", srv.URL, nil)
		req.Header.Set("X-Api-Key", tt.key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("key %s: %d; want %d", tt.key, resp.StatusCode, tt.want)
		}
	}
}

// TestCoarseClock: the coarse clock's ticker grants tokens at its resolution (a read may lag a
// tick; a burst of 2 absorbs it), and Close stops its goroutine (TestMain checks that none is
// left).
func TestCoarseClock(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		l := mustNew(t, Config{Rate: 1000, Burst: 2, Coarse: time.Millisecond})
		defer l.Close()
		n := 0
		for range 100 {
			for l.Allow() {
				n++
			}
			time.Sleep(time.Millisecond)
		}
		if n < 99 || n > 102 {
			t.Errorf("%d calls in 100 ticks of 1ms at 1000/s; want about 100", n)
		}
	})
}

type decisions struct {
	mu      sync.Mutex
	allowed int
	refused []time.Duration
}

func (d *decisions) OnDecision(_ string, ok bool, after time.Duration) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if ok {
		d.allowed++
	} else {
		d.refused = append(d.refused, after)
	}
}

// TestObserver and TestValidate: each decision is told; a bad config says every problem.
func TestObserver(t *testing.T) {
	t.Parallel()
	d := &decisions{}
	clk := &fakeClock{}
	l := mustNew(t, Config{Rate: 2, Now: clk.now, Observer: d})
	l.Allow()
	l.Allow()
	if d.allowed != 1 || len(d.refused) != 1 || d.refused[0] != 500*time.Millisecond {
		t.Errorf("decisions %+v; want 1 allowed, 1 refused with 500ms", d)
	}
	_, err := New(Config{Name: "x", Rate: 0, Burst: -1, Coarse: time.Millisecond, Now: clk.now})
	for _, want := range []string{"Rate = 0", "Burst = -1", "Coarse and Now"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("New = %v; want %q", err, want)
		}
	}
}
