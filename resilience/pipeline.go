package resilience

import (
	"context"
	"errors"

	"github.com/shakedown-dev/shakedown/resilience/bulkhead"
	"github.com/shakedown-dev/shakedown/resilience/circuitbreaker"
	"github.com/shakedown-dev/shakedown/resilience/fallback"
	"github.com/shakedown-dev/shakedown/resilience/ratelimit"
	"github.com/shakedown-dev/shakedown/resilience/retry"
	"github.com/shakedown-dev/shakedown/resilience/timeout"
)

// Pipeline runs calls through the policies it holds; a nil policy is skipped. Build it as a struct
// literal; it is safe for concurrent use once built. With a breaker, a bulkhead and a retry (no
// timeout, whose context allocates) a successful call allocates nothing.
type Pipeline[T any] struct {
	Fallback *fallback.Fallback[T]
	Retry    *retry.Retryer
	Breaker  *circuitbreaker.Breaker
	// RateLimit paces the attempts the breaker admits: each waits for its token when the token is
	// due before the context's deadline, and fails with ratelimit.ErrLimited at once when it is
	// not. Without a deadline an attempt waits as long as the queue of tokens is.
	RateLimit *ratelimit.Limiter
	Bulkhead  *bulkhead.Bulkhead
	Timeout   *timeout.Timeout
}

// Execute runs fn through the pipeline. The result is Degraded when the fallback answered.
func (p *Pipeline[T]) Execute(ctx context.Context, fn func(context.Context) (T, error)) (fallback.Result[T], error) {
	var v T
	var err error
	if p.Retry == nil {
		v, err = p.attempt(ctx, fn)
	} else {
		a := p.Retry.Start()
		v, err = p.attempt(ctx, fn)
		for err != nil {
			if err = a.Next(ctx, err); err != nil {
				break
			}
			v, err = p.attempt(ctx, fn)
		}
		if err == nil {
			a.Succeeded()
		}
	}
	if p.Fallback != nil {
		return p.Fallback.Handle(ctx, v, err)
	}
	return fallback.Result[T]{Value: v}, err
}

// attempt is one try through breaker, bulkhead and timeout.
func (p *Pipeline[T]) attempt(ctx context.Context, fn func(context.Context) (T, error)) (T, error) {
	if p.Breaker == nil {
		return p.guarded(ctx, fn)
	}
	permit, err := p.Breaker.Allow()
	if err != nil {
		var zero T
		return zero, err
	}
	reported := false
	defer func() {
		if !reported { // fn panicked: a failure, and the panic goes on
			permit.Done(errPanicked)
		}
	}()
	v, err := p.guarded(ctx, fn)
	reported = true
	switch {
	case err != nil && ctx.Err() != nil: // the caller gave up: that says nothing of the dependency
		permit.Ignore()
	case errors.Is(err, bulkhead.ErrFull) || errors.Is(err, bulkhead.ErrQueueTimeout) || errors.Is(err, ratelimit.ErrLimited): // local overload
		permit.Ignore()
	default:
		permit.Done(err)
	}
	return v, err
}

// guarded runs fn once its token is due, in a bulkhead slot, with a timeout.
func (p *Pipeline[T]) guarded(ctx context.Context, fn func(context.Context) (T, error)) (T, error) {
	if p.RateLimit != nil {
		if err := p.RateLimit.Wait(ctx); err != nil {
			var zero T
			return zero, err
		}
	}
	if p.Bulkhead != nil {
		if err := p.Bulkhead.Acquire(ctx); err != nil {
			var zero T
			return zero, err
		}
		defer p.Bulkhead.Release()
	}
	if p.Timeout != nil {
		return timeout.Do(ctx, p.Timeout, fn)
	}
	return fn(ctx)
}

var errPanicked = errors.New("resilience: the call panicked")
