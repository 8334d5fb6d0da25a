package health

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Status is the health of a check or a report.
type Status string

// The statuses, best first.
const (
	Healthy   Status = "healthy"
	Degraded  Status = "degraded"
	Unhealthy Status = "unhealthy"
)

// Check is one health check.
type Check struct {
	Name string
	// Run returns nil when healthy. It must honour ctx, which ends after Timeout.
	Run func(ctx context.Context) error
	// Timeout bounds the check. 0: 2s.
	Timeout time.Duration
	// Critical makes a failure unhealthy; otherwise a failure is degraded.
	Critical bool
}

// Config configures a Checker.
type Config struct {
	Liveness  []Check
	Readiness []Check
	// CacheFor reuses a report for that long. 0: every request runs the checks.
	CacheFor time.Duration
	// Now is the clock. nil: time.Now.
	Now func() time.Time
}

// CheckResult is the outcome of one check.
type CheckResult struct {
	Name     string        `json:"name"`
	Status   Status        `json:"status"`
	Critical bool          `json:"critical"`
	Duration time.Duration `json:"duration_ns"`
	Error    string        `json:"error,omitempty"`
	// Since is when the check last changed status.
	Since time.Time `json:"since"`
}

// Report is the outcome of a set of checks.
type Report struct {
	Status Status        `json:"status"`
	At     time.Time     `json:"at"`
	Checks []CheckResult `json:"checks"`
}

// Checker runs checks. Create it with New; it is safe for concurrent use.
type Checker struct {
	c     Config
	live  *set
	ready *set
}

// New returns a Checker, or every problem with c.
func New(c Config) (*Checker, error) {
	var errs []error
	for kind, checks := range map[string][]Check{"Liveness": c.Liveness, "Readiness": c.Readiness} {
		seen := map[string]bool{}
		for i, ch := range checks {
			if ch.Name == "" || seen[ch.Name] {
				errs = append(errs, fmt.Errorf("health: %s[%d].Name = %q; want a unique, non-empty name", kind, i, ch.Name))
			}
			seen[ch.Name] = true
			if ch.Run == nil {
				errs = append(errs, fmt.Errorf("health: %s[%d] (%q).Run is nil; want the check function", kind, i, ch.Name))
			}
			if ch.Timeout < 0 {
				errs = append(errs, fmt.Errorf("health: %s[%d] (%q).Timeout = %s; want 0 (2s) or more", kind, i, ch.Name, ch.Timeout))
			}
		}
	}
	if c.CacheFor < 0 {
		errs = append(errs, fmt.Errorf("health: CacheFor = %s; want 0 (no cache) or more", c.CacheFor))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return &Checker{c: c, live: newSet(c.Liveness, c), ready: newSet(c.Readiness, c)}, nil
}

// Live runs (or reuses) the liveness checks.
func (c *Checker) Live(ctx context.Context) Report { return c.live.report(ctx) }

// Ready runs (or reuses) the readiness checks.
func (c *Checker) Ready(ctx context.Context) Report { return c.ready.report(ctx) }

// set is one list of checks with its cache and its status history.
type set struct {
	checks []Check
	c      Config
	mu     sync.Mutex // one run at a time; later callers reuse its report
	last   Report
	since  map[string]CheckResult
}

func newSet(checks []Check, c Config) *set {
	return &set{checks: checks, c: c, since: map[string]CheckResult{}}
}

func (s *set) report(ctx context.Context) Report {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.c.Now()
	if s.c.CacheFor > 0 && !s.last.At.IsZero() && now.Sub(s.last.At) < s.c.CacheFor {
		return s.last
	}
	results := make([]CheckResult, len(s.checks))
	var wg sync.WaitGroup
	for i, ch := range s.checks {
		wg.Go(func() { results[i] = run(ctx, ch, s.c.Now) })
	}
	wg.Wait()
	r := Report{Status: Healthy, At: now, Checks: results}
	for i := range results {
		res := &results[i]
		if prev, ok := s.since[res.Name]; ok && prev.Status == res.Status {
			res.Since = prev.Since
		} else {
			res.Since = now
		}
		s.since[res.Name] = *res
		switch {
		case res.Status == Healthy:
		case res.Critical:
			r.Status = Unhealthy
		case r.Status == Healthy:
			r.Status = Degraded
		}
	}
	s.last = r
	return r
}

// run runs one check within its timeout. The check runs in its own goroutine so that a check that
// ignores its context still cannot hold the report past the timeout; that goroutine ends when the
// check returns (its result channel is buffered).
func run(ctx context.Context, ch Check, now func() time.Time) CheckResult {
	timeout := ch.Timeout
	if timeout == 0 {
		timeout = 2 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := now()
	done := make(chan error, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- fmt.Errorf("check panicked: %v", p)
			}
		}()
		done <- ch.Run(ctx)
	}()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
	}
	if ctx.Err() != nil && (err == nil || errors.Is(err, ctx.Err())) {
		err = fmt.Errorf("no answer within %s", timeout) // the check's own timeout, however it ended
	}
	res := CheckResult{Name: ch.Name, Status: Healthy, Critical: ch.Critical, Duration: now().Sub(start)}
	if err != nil {
		res.Error = err.Error()
		res.Status = Degraded
		if ch.Critical {
			res.Status = Unhealthy
		}
	}
	return res
}
