package ratelimit

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Keyed holds a limiter per key, each with the same Config (its Name, Rate and Burst; a coarse
// clock is shared). A key whose bucket has refilled is forgotten (it would start full anyway),
// so memory follows the keys seen within about Burst/Rate, bounded by MaxKeys (about 200 bytes a
// key: each limiter keeps its hot word on a cache line of its own).
type Keyed struct {
	c       Config
	maxKeys int
	now     func() time.Duration
	coarse  *coarseClock

	mu    sync.Mutex
	keys  map[string]*Limiter
	calls int
}

// DefaultMaxKeys bounds a Keyed's keys when NewKeyed is given 0.
const DefaultMaxKeys = 100_000

// NewKeyed returns a Keyed of limiters configured by c, holding at most maxKeys keys (0:
// DefaultMaxKeys): a new key past that is refused, as if its bucket were empty.
func NewKeyed(c Config, maxKeys int) (*Keyed, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if maxKeys <= 0 {
		maxKeys = DefaultMaxKeys
	}
	k := &Keyed{c: c, maxKeys: maxKeys, keys: map[string]*Limiter{}}
	k.now, k.coarse = clockOf(c)
	return k, nil
}

// Take takes a token from key's bucket if one is there; else it says how long until the next.
func (k *Keyed) Take(key string) (ok bool, retryAfter time.Duration) {
	l := k.limiter(key)
	if l == nil {
		retryAfter = time.Duration(math.Round(1e9 / k.c.Rate))
		if k.c.Observer != nil {
			k.c.Observer.OnDecision(k.c.Name, false, retryAfter)
		}
		return false, retryAfter
	}
	return l.Take()
}

// Allow takes a token from key's bucket if one is there.
func (k *Keyed) Allow(key string) bool {
	ok, _ := k.Take(key)
	return ok
}

// Len returns how many keys it holds.
func (k *Keyed) Len() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.keys)
}

// Close stops the shared coarse clock, if there is one.
func (k *Keyed) Close() {
	if k.coarse != nil {
		k.coarse.stop()
	}
}

// limiter returns key's limiter, made on first use; nil when the keys are full.
func (k *Keyed) limiter(key string) *Limiter {
	k.mu.Lock()
	defer k.mu.Unlock()
	if l, ok := k.keys[key]; ok {
		return l
	}
	if k.calls++; k.calls%1024 == 0 || len(k.keys) >= k.maxKeys {
		k.forget()
	}
	if len(k.keys) >= k.maxKeys {
		return nil
	}
	c := k.c
	c.Coarse, c.Now = 0, k.now
	l, _ := New(c) // c was validated
	k.keys[key] = l
	return l
}

// forget drops the keys whose bucket is full again. k.mu must be held.
func (k *Keyed) forget() {
	now := int64(k.now())
	for key, l := range k.keys {
		if l.tat.Load() <= now {
			delete(k.keys, key)
		}
	}
}

// Handler lets through the requests l allows and answers the others 429 Too Many Requests, with
// Retry-After in whole seconds (at least 1).
func Handler(l *Limiter, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ok, after := l.Take(); !ok {
			tooMany(w, after)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// KeyedHandler limits each key's requests (key(r): an API key, a client address) as Handler
// does.
func KeyedHandler(k *Keyed, key func(*http.Request) string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ok, after := k.Take(key(r)); !ok {
			tooMany(w, after)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func tooMany(w http.ResponseWriter, after time.Duration) {
	w.Header().Set("Retry-After", strconv.Itoa(max(int(math.Ceil(after.Seconds())), 1)))
	http.Error(w, "too many requests", http.StatusTooManyRequests)
}
