package ratelimit

import (
	"sync/atomic"
	"testing"
	"time"
)

// The figures `make bench` puts beside golang.org/x/time/rate and failsafe-go live in ../../bench;
// these are the package's own, with the atomic floor in the same run.

func BenchmarkAtomicFloor(b *testing.B) {
	var n atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n.Add(1)
		}
	})
}

func BenchmarkAllow(b *testing.B) {
	for _, tt := range []struct {
		name   string
		coarse time.Duration
	}{{"monotonic", 0}, {"coarse", time.Millisecond}} {
		b.Run(tt.name, func(b *testing.B) {
			l, _ := New(Config{Rate: 1e9, Burst: 1 << 20, Coarse: tt.coarse})
			defer l.Close()
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					l.Allow()
				}
			})
		})
	}
}
