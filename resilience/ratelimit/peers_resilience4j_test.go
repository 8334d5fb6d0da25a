package ratelimit

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// Cases of resilience4j's own suite (master branch as stored:
// internal/RefillRateLimiterTest.java at cd225c1, under
// resilience4j-ratelimiter/src/test/java/io/github/resilience4j/ratelimiter/), on this package's
// API. resilience4j's RefillRateLimiter is a token bucket, as ours is (its default AtomicRateLimiter
// hands out limitForPeriod permits per fixed refresh period instead; the refill tests say which of
// its cases they mirror).
//
// How the peer's configuration maps onto ours: limitForPeriod permits per limitRefreshPeriod is a
// Rate of limitForPeriod / limitRefreshPeriod a second, and permitCapacity (by default
// limitForPeriod) the Burst; the bucket starts full, as the peer's initialPermits default does.
// acquirePermission with a timeoutDuration of 0 is Allow (Take says the wait, the peer's
// getNanosToWait); with a timeout, Wait with a context of that deadline. A thread interrupted
// while it waits is a Wait whose context is cancelled. The peer's PowerMock'd nano clock is a
// fake clock (Config.Now), or testing/synctest's where Wait sleeps. The peer's changeLimitForPeriod
// and changeTimeoutDuration (reconfiguring a live limiter) and its multi-permit acquisitions have
// no counterpart here and are not ported.

// period is the tests' limitRefreshPeriod: 250 ms, one permit each.
const period = 250 * time.Millisecond

// From
// resilience4j-ratelimiter/src/test/java/io/github/resilience4j/ratelimiter/internal/RefillRateLimiterTest.java
// acquireAndRefreshWithEventPublishing, rejectedByTimeoutNonBlocking, defaultPermissionsAtStartup
// and notSpyRawTest: the bucket starts with its one permit; a second call at once is refused and
// told to wait the period; a nanosecond before the period is over, to wait 1 ns; at the period, one
// more call is permitted and the next refused again. Each decision is published.
func TestResilience4jRateLimiterAcquireAndRefresh(t *testing.T) {
	t.Parallel()
	clk := &fakeClock{}
	d := &decisions{}
	l := mustNew(t, Config{Name: "test", Rate: float64(time.Second / period), Now: clk.now, Observer: d})
	if !l.Allow() {
		t.Fatal("the first call refused: the bucket starts full")
	}
	if ok, after := l.Take(); ok || after != period {
		t.Fatalf("a second call at once: %v, wait %s; want refused, 250ms", ok, after)
	}
	clk.advance(period - time.Nanosecond)
	if ok, after := l.Take(); ok || after != time.Nanosecond {
		t.Fatalf("1ns before the period: %v, wait %s; want refused, 1ns", ok, after)
	}
	clk.advance(time.Nanosecond)
	if !l.Allow() {
		t.Fatal("refused at the period")
	}
	if ok, after := l.Take(); ok || after != period {
		t.Fatalf("right after: %v, wait %s; want refused, 250ms", ok, after)
	}
	if want := []time.Duration{period, time.Nanosecond, period}; d.allowed != 2 || !slices.Equal(d.refused, want) {
		t.Errorf("decisions: %d allowed, refused %v; want 2 and %v", d.allowed, d.refused, want)
	}
}

// From
// resilience4j-ratelimiter/src/test/java/io/github/resilience4j/ratelimiter/internal/RefillRateLimiterTest.java
// reserveAndRefresh: with a timeout of one period, a call that finds no permit waits for the next
// one, which comes a period after the last, and gets it; the next permit is then a period away.
func TestResilience4jRateLimiterWaitsWithinTimeout(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		l := mustNew(t, Config{Rate: float64(time.Second / period)})
		if !l.Allow() {
			t.Fatal("the first call refused")
		}
		ctx, cancel := context.WithTimeout(context.Background(), period)
		defer cancel()
		start := time.Now()
		if err := l.Wait(ctx); err != nil || time.Since(start) != period {
			t.Fatalf("Wait = %v after %s; want the permit after 250ms", err, time.Since(start))
		}
		if ok, after := l.Take(); ok || after != period {
			t.Errorf("after the reserved permit: %v, wait %s; want refused, 250ms", ok, after)
		}
	})
}

// From
// resilience4j-ratelimiter/src/test/java/io/github/resilience4j/ratelimiter/internal/RefillRateLimiterTest.java
// reserveFewThenSkipNanosBeforeRefillNonBlocking and reserveFewThenWaitBeforeReachingMaxCapacity:
// with a timeout of one period, the first call is permitted, the second reserves the next permit
// and gets it a period later, and a third, whose permit would come two periods away, past its
// timeout, is refused and takes nothing (resilience4j lets a blocking caller wait out its timeout
// first; ours refuses at once). After six idle periods the bucket holds its capacity, one permit,
// no more.
func TestResilience4jRateLimiterRefusesPastTimeout(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		l := mustNew(t, Config{Rate: float64(time.Second / period)})
		wait := func() error {
			ctx, cancel := context.WithTimeout(context.Background(), period)
			defer cancel()
			return l.Wait(ctx)
		}
		start := time.Now()
		if err := wait(); err != nil || time.Since(start) != 0 {
			t.Fatalf("the first call: %v after %s; want it at once", err, time.Since(start))
		}
		var second error
		var secondAt time.Duration
		var wg sync.WaitGroup
		wg.Go(func() { second = wait(); secondAt = time.Since(start) })
		synctest.Wait()
		if err := wait(); !errors.Is(err, ErrLimited) || time.Since(start) != 0 {
			t.Fatalf("the third call: %v after %s; want ErrLimited at once", err, time.Since(start))
		}
		wg.Wait()
		if second != nil || secondAt != period {
			t.Fatalf("the second call: %v at %s; want its permit at 250ms", second, secondAt)
		}
		if ok, after := l.Take(); ok || after != period {
			t.Fatalf("after the second: %v, wait %s; want the third's refusal to have taken nothing", ok, after)
		}
		time.Sleep(6 * period)
		n := 0
		for l.Allow() {
			n++
		}
		if n != 1 {
			t.Errorf("%d permits after six idle periods; want the capacity, 1", n)
		}
	})
}

// From
// resilience4j-ratelimiter/src/test/java/io/github/resilience4j/ratelimiter/internal/RefillRateLimiterTest.java
// waitingThreadIsInterrupted: a caller interrupted while it waits for its reserved permit stops
// waiting and does not get it. resilience4j keeps the reservation (the permit is spent: the next
// one is still two periods away); ours gives the permit back (Wait's doc), so the next caller gets
// it one period after the last.
func TestResilience4jRateLimiterInterruptedWaiter(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		l := mustNew(t, Config{Rate: float64(time.Second / period)})
		l.Allow()
		ctx, cancel := context.WithTimeout(context.Background(), period)
		defer cancel()
		var err error
		var wg sync.WaitGroup
		wg.Go(func() { err = l.Wait(ctx) })
		time.Sleep(period / 2)
		synctest.Wait()
		cancel()
		wg.Wait()
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("the interrupted Wait = %v; want context.Canceled", err)
		}
		if ok, after := l.Take(); ok || after != period/2 {
			t.Errorf("after the interruption: %v, wait %s; want the permit back, due in 125ms (resilience4j: 375ms)", ok, after)
		}
		time.Sleep(period / 2)
		if !l.Allow() {
			t.Error("the given-back permit was not there a period after the last")
		}
	})
}

// From
// resilience4j-ratelimiter/src/test/java/io/github/resilience4j/ratelimiter/internal/RefillRateLimiterTest.java
// reservePermissionsUpfront: 3 permits per 12 ms, a timeout of 12 ms, 9 callers at the same
// instant: three get a permit at once, three wait 4, 8 and 12 ms, and three, whose permits are
// further than 12 ms away, are refused. The timeout here is 12 ms and 1 ns: a permit due exactly at
// the deadline is the bug that TestResilience4jRateLimiterPermitDueAtTheDeadline documents.
func TestResilience4jRateLimiterReservesUpfront(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		const refresh = 12 * time.Millisecond
		l := mustNew(t, Config{Rate: 3 / refresh.Seconds(), Burst: 3})
		start := time.Now()
		var mu sync.Mutex
		var waits []time.Duration
		refused := 0
		var wg sync.WaitGroup
		for range 9 {
			ctx, cancel := context.WithTimeout(context.Background(), refresh+time.Nanosecond)
			defer cancel()
			wg.Go(func() {
				err := l.Wait(ctx)
				mu.Lock()
				defer mu.Unlock()
				if errors.Is(err, ErrLimited) {
					refused++
				} else if err == nil {
					waits = append(waits, time.Since(start))
				} else {
					t.Errorf("Wait = %v", err)
				}
			})
			synctest.Wait() // one at a time, at the same instant
		}
		wg.Wait()
		slices.Sort(waits)
		if want := []time.Duration{0, 0, 0, 4 * time.Millisecond, 8 * time.Millisecond, 12 * time.Millisecond}; !slices.Equal(waits, want) || refused != 3 {
			t.Errorf("waits %v, %d refused; want %v and 3", waits, refused, want)
		}
	})
}

// From
// resilience4j-ratelimiter/src/test/java/io/github/resilience4j/ratelimiter/internal/RefillRateLimiterTest.java
// reservePermissionsUpfront and reserveAndRefresh: a caller whose permit comes exactly when its
// timeout ends gets it (resilience4j: a wait equal to the timeout is permitted), and so does ours,
// every time: its sleep and the deadline end at the same instant, and the token goes to the
// caller. Four callers at once, each with a timeout equal to the wait for its permit, 2,000
// times over.
func TestResilience4jRateLimiterPermitDueAtTheDeadline(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		for range 2000 {
			l := mustNew(t, Config{Rate: float64(time.Second / period)})
			l.Allow()
			errs := make([]error, 4)
			var wg sync.WaitGroup
			for i := range 4 {
				ctx, cancel := context.WithTimeout(context.Background(), time.Duration(i+1)*period)
				wg.Go(func() {
					defer cancel()
					errs[i] = l.Wait(ctx)
				})
				synctest.Wait()
			}
			wg.Wait()
			if errs[0] != nil || errs[1] != nil || errs[2] != nil || errs[3] != nil {
				t.Fatalf("Waits = %v; want each permit, due at its caller's deadline", errs)
			}
		}
	})
}
