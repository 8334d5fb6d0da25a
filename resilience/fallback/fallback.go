package fallback

import (
	"context"
	"errors"
	"fmt"
)

// Result is a call's answer, real or substitute.
type Result[T any] struct {
	Value T
	// Degraded is true when Value came from the fallback.
	Degraded bool
	// Cause is the error the fallback stood in for, when Degraded.
	Cause error
}

// Observer is told of fallbacks served, on the caller's goroutine.
type Observer interface {
	OnFallback(name string, cause error)
}

// Config configures a Fallback.
type Config[T any] struct {
	Name string
	// Fallback returns the substitute for a failed call; its own error, if any, is returned
	// joined with the call's. Required.
	Fallback func(ctx context.Context, cause error) (T, error)
	// When says whether a call's outcome needs the fallback. nil: any error except the caller's
	// own cancellation (its context is done).
	When     func(v T, err error) bool
	Observer Observer
}

// Fallback serves substitutes. Create it with New; it is safe for concurrent use.
type Fallback[T any] struct{ c Config[T] }

// New returns a Fallback, or the problem with c.
func New[T any](c Config[T]) (*Fallback[T], error) {
	if c.Fallback == nil {
		return nil, fmt.Errorf("fallback %q: Fallback is nil; want a function that returns the substitute", c.Name)
	}
	return &Fallback[T]{c: c}, nil
}

// Value returns a fallback function that always answers v.
func Value[T any](v T) func(context.Context, error) (T, error) {
	return func(context.Context, error) (T, error) { return v, nil }
}

// Name returns the policy's name.
func (f *Fallback[T]) Name() string { return f.c.Name }

// Do runs fn and, when its outcome needs it, the fallback.
func (f *Fallback[T]) Do(ctx context.Context, fn func(context.Context) (T, error)) (Result[T], error) {
	v, err := fn(ctx)
	return f.Handle(ctx, v, err)
}

// Handle decides on an outcome already at hand: it returns it as is, or the fallback's answer.
func (f *Fallback[T]) Handle(ctx context.Context, v T, err error) (Result[T], error) {
	need := err != nil && ctx.Err() == nil
	if f.c.When != nil {
		need = f.c.When(v, err)
	}
	if !need {
		return Result[T]{Value: v}, err
	}
	fv, ferr := f.c.Fallback(ctx, err)
	if ferr != nil {
		return Result[T]{Value: v}, errors.Join(err, fmt.Errorf("fallback %q: %w", f.c.Name, ferr))
	}
	if f.c.Observer != nil {
		f.c.Observer.OnFallback(f.c.Name, err)
	}
	return Result[T]{Value: fv, Degraded: true, Cause: err}, nil
}
