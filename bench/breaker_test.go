package bench

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"

	eabreaker "github.com/eapache/go-resiliency/breaker"
	fscb "github.com/failsafe-go/failsafe-go/circuitbreaker"
	"github.com/sony/gobreaker/v2"

	"github.com/shakedown-dev/shakedown/resilience/circuitbreaker"
)

// Every benchmark runs its body with b.RunParallel, so `-cpu 1,2` gives the serial and the
// parallel figure. The "lib" sub-benchmark names the library so benchstat can compare columns.

var errFail = errors.New("fail")

func parallel(b *testing.B, op func() error) {
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := op(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkFloor is the anchor: one atomic add on a shared word.
func BenchmarkFloor(b *testing.B) {
	var n atomic.Int64
	b.Run("lib=atomic", func(b *testing.B) { parallel(b, func() error { n.Add(1); return nil }) })
}

func BenchmarkBreakerSuccess(b *testing.B) {
	b.Run("lib=shakedown", func(b *testing.B) {
		cb, _ := circuitbreaker.New(circuitbreaker.Config{Name: "b"})
		parallel(b, func() error {
			p, err := cb.Allow()
			if err != nil {
				return err
			}
			p.Done(nil)
			return nil
		})
	})
	b.Run("lib=gobreaker", func(b *testing.B) {
		cb := gobreaker.NewTwoStepCircuitBreaker[struct{}](gobreaker.Settings{Name: "b"})
		parallel(b, func() error {
			done, err := cb.Allow()
			if err != nil {
				return err
			}
			done(nil)
			return nil
		})
	})
	b.Run("lib=failsafe", func(b *testing.B) {
		cb := fscb.NewWithDefaults[any]()
		parallel(b, func() error {
			if !cb.TryAcquirePermit() {
				return errors.New("rejected")
			}
			cb.RecordSuccess()
			return nil
		})
	})
	b.Run("lib=go-resiliency", func(b *testing.B) {
		cb := eabreaker.New(5, 1, time.Minute)
		parallel(b, func() error { return cb.Run(func() error { return nil }) })
	})
}

func BenchmarkBreakerReject(b *testing.B) {
	rejected := func(err error) error {
		if err == nil {
			return errors.New("allowed while open")
		}
		return nil
	}
	b.Run("lib=shakedown", func(b *testing.B) {
		cb, _ := circuitbreaker.New(circuitbreaker.Config{Name: "b", ConsecutiveFailures: 1, OpenDuration: time.Hour})
		p, _ := cb.Allow()
		p.Done(errFail)
		parallel(b, func() error { _, err := cb.Allow(); return rejected(err) })
	})
	b.Run("lib=gobreaker", func(b *testing.B) {
		cb := gobreaker.NewTwoStepCircuitBreaker[struct{}](gobreaker.Settings{Name: "b", Timeout: time.Hour,
			ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= 1 }})
		done, _ := cb.Allow()
		done(errFail)
		parallel(b, func() error { _, err := cb.Allow(); return rejected(err) })
	})
	b.Run("lib=failsafe", func(b *testing.B) {
		cb := fscb.NewBuilder[any]().WithFailureThreshold(1).WithDelay(time.Hour).Build()
		cb.RecordFailure()
		parallel(b, func() error {
			if cb.TryAcquirePermit() {
				return errors.New("allowed while open")
			}
			return nil
		})
	})
	b.Run("lib=go-resiliency", func(b *testing.B) {
		cb := eabreaker.New(1, 1, time.Hour)
		cb.Run(func() error { return errFail })
		parallel(b, func() error { return rejected(cb.Run(func() error { return nil })) })
	})
}
