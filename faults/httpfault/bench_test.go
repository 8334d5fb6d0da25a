package httpfault

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// noop is the cheapest handler, so that the benchmarks measure the middleware alone.
var noop = http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})

// BenchmarkMiddleware measures the middleware's cost per request over a no-op handler: with no
// fault set, and with one fault that matches and is drawn but never injected (the draw, the lock,
// the metric and the decision).
func BenchmarkMiddleware(b *testing.B) {
	for _, bc := range []struct {
		name   string
		faults []Fault
	}{
		{"bare-handler", nil},
		{"no-fault", nil},
		{"one-fault-drawn", []Fault{{Name: "f", Probability: 0, Action: Action{Kind: KindError}}}},
		{"one-fault-other-path", []Fault{{Name: "f", Probability: 1, Action: Action{Kind: KindError, PathPrefix: "/api/chat"}}}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			in, _ := New(Config{Faults: bc.faults})
			h := in.Middleware(noop)
			if bc.name == "bare-handler" {
				h = noop
			}
			w, r := httptest.NewRecorder(), httptest.NewRequest("POST", "/api/generate", nil)
			b.ReportAllocs()
			for b.Loop() {
				h.ServeHTTP(w, r)
			}
		})
	}
}

// BenchmarkMiddlewareParallel is the one-fault case from every core at once: the lock's contention.
func BenchmarkMiddlewareParallel(b *testing.B) {
	in, _ := New(Config{Faults: []Fault{{Name: "f", Probability: 0, Action: Action{Kind: KindError}}}})
	h := in.Middleware(noop)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		w, r := httptest.NewRecorder(), httptest.NewRequest("POST", "/api/generate", nil)
		for pb.Next() {
			h.ServeHTTP(w, r)
		}
	})
}
