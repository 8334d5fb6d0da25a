package circuitbreaker

import (
	"fmt"
	"sync/atomic"
	"testing"
)

// BenchmarkAtomicFloor is the anchor of the parallel benchmarks: one atomic add on a shared word.
func BenchmarkAtomicFloor(b *testing.B) {
	var n atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n.Add(1)
		}
	})
}

func BenchmarkClosedSuccess(b *testing.B) {
	cb, _ := New(Config{Name: "bench"})
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			p, err := cb.Allow()
			if err != nil {
				b.Fatal(err)
			}
			p.Done(nil)
		}
	})
}

func BenchmarkClosedSuccessFailureRateWindow(b *testing.B) {
	cb, _ := New(Config{Name: "bench", FailureRateThreshold: 0.5})
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			p, _ := cb.Allow()
			p.Done(nil)
		}
	})
}

func BenchmarkOpenReject(b *testing.B) {
	for _, count := range []bool{false, true} {
		b.Run(fmt.Sprintf("count=%v", count), func(b *testing.B) {
			cb, _ := New(Config{Name: "bench", CountRejections: count})
			cb.ForceOpen()
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := cb.Allow(); err == nil {
						b.Fatal("allowed while open")
					}
				}
			})
		})
	}
}
