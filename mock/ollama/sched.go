package ollama

import (
	"context"
	"errors"
	"sync"
	"time"
)

// errMaxQueue is Ollama's answer past OLLAMA_MAX_QUEUE (server/sched.go), a 503.
var errMaxQueue = errors.New("server busy, please try again.  maximum pending requests exceeded")

// The scheduler, as Ollama v0.17.4's (server/sched.go, llm/server.go) behaves for one runner per
// model: a request for a model that is not loaded waits for it to load, among at most MaxQueue
// such requests (the rest are refused with errMaxQueue); a loaded model serves NumParallel
// requests at a time (the runner's semaphore) and the others wait for a slot, without a bound;
// after its last request the model stays loaded for the request's keep_alive (5 minutes by
// default), and 0 unloads it at once.
type scheduler struct {
	cfg     *Config
	mu      sync.Mutex
	runners map[string]*runner // by Model.Name
}

type runner struct {
	loaded    bool
	loading   chan struct{} // closed when the load in progress ends; nil when none is
	pending   int           // requests waiting for the load
	active    int           // requests holding a slot
	sem       chan struct{} // the slots; nil: no limit
	session   time.Duration // how long it stays loaded after its last request
	expiresAt time.Time     // when it unloads, once idle
}

func newScheduler(cfg *Config) *scheduler {
	return &scheduler{cfg: cfg, runners: map[string]*runner{}}
}

func (s *scheduler) runner(m Model) *runner {
	r := s.runners[m.Name]
	if r == nil {
		r = &runner{}
		if s.cfg.NumParallel >= 0 {
			r.sem = make(chan struct{}, max(s.cfg.NumParallel, 1))
		}
		s.runners[m.Name] = r
	}
	return r
}

// expire unloads r if its keep-alive has run out. s.mu is held.
func (r *runner) expire(now time.Time) {
	if r.loaded && r.active == 0 && r.pending == 0 && r.loading == nil && !now.Before(r.expiresAt) { // pending: woken by the load, not yet active
		r.loaded = false
	}
}

func (s *scheduler) keepAlive(requested *time.Duration) time.Duration {
	switch {
	case requested != nil:
		return *requested
	case s.cfg.KeepAlive > 0:
		return s.cfg.KeepAlive
	}
	return 5 * time.Minute
}

// acquire waits for m to be loaded and for one of its slots, and returns the function that gives
// the slot back. keepAlive is the request's keep_alive (nil: the default).
func (s *scheduler) acquire(ctx context.Context, m Model, keepAlive *time.Duration) (release func(), err error) {
	s.mu.Lock()
	r := s.runner(m)
	r.expire(time.Now())
	if !r.loaded {
		maxQueue := s.cfg.MaxQueue
		if maxQueue == 0 {
			maxQueue = 512
		}
		if r.pending >= maxQueue {
			s.mu.Unlock()
			return nil, errMaxQueue
		}
		loading := r.loading
		if loading == nil {
			loading = make(chan struct{})
			r.loading = loading
			s.load(r)
		}
		r.pending++
		s.mu.Unlock()
		select {
		case <-loading:
		case <-ctx.Done():
		}
		s.mu.Lock()
		r.pending--
		if ctx.Err() != nil {
			s.mu.Unlock()
			return nil, ctx.Err()
		}
	}
	r.active++
	r.session = s.keepAlive(keepAlive)
	s.mu.Unlock()
	if r.sem != nil {
		select {
		case r.sem <- struct{}{}:
		case <-ctx.Done():
			s.done(r)
			return nil, ctx.Err()
		}
	}
	return func() {
		if r.sem != nil {
			<-r.sem
		}
		s.done(r)
	}, nil
}

// load loads r, at once or after LoadDuration. s.mu is held.
func (s *scheduler) load(r *runner) {
	finish := func() {
		r.loaded = true
		close(r.loading)
		r.loading = nil
	}
	if s.cfg.LoadDuration <= 0 {
		finish()
		return
	}
	time.AfterFunc(s.cfg.LoadDuration, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		finish()
	})
}

func (s *scheduler) done(r *runner) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r.active--
	if r.active == 0 {
		r.expiresAt = expiry(time.Now(), r.session)
		if r.session == 0 {
			r.loaded = false
		}
	}
}

// unload unloads m now (a request with keep_alive 0 and nothing to do), as the scheduler's
// expireRunner does.
func (s *scheduler) unload(m Model) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.runners[m.Name]; r != nil && r.active == 0 {
		r.loaded = false
	}
}

func expiry(now time.Time, session time.Duration) time.Time {
	return now.Add(session) // a negative keep_alive (math.MaxInt64) is some 292 years from now, as Ollama reports it
}

// loadedModel is a loaded model as /api/ps lists it.
type loadedModel struct {
	model     Model
	expiresAt time.Time
}

// loaded lists the models loaded now: an active one expires its keep-alive from now, as
// Ollama's PsHandler reports a runner with no expiry timer yet.
func (s *scheduler) loaded(models []Model) []loadedModel {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	var out []loadedModel
	for _, m := range models {
		r := s.runners[m.Name]
		if r == nil {
			continue
		}
		r.expire(now)
		if !r.loaded {
			continue
		}
		at := r.expiresAt
		if r.active > 0 {
			at = expiry(now, r.session)
		}
		out = append(out, loadedModel{model: m, expiresAt: at})
	}
	return out
}
