package httpfault

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"time"
)

// Middleware applies the injector's faults to the requests next serves. With no fault set it
// costs one atomic load per request.
func (in *Injector) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := in.decide(r)
		if p.empty() {
			next.ServeHTTP(w, r)
			return
		}
		if p.latency != nil && !sleep(r.Context(), p.latency.Delay.D()) {
			return
		}
		if f := p.err; f != nil {
			if f.RetryAfter > 0 {
				w.Header().Set("Retry-After", strconv.Itoa(int((f.RetryAfter.D()+time.Second-1)/time.Second)))
			}
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.WriteHeader(f.status())
			w.Write([]byte(errorBody(f)))
			return
		}
		if p.firstChunk == nil && p.stall == nil && p.drop == nil && p.malformed == nil {
			next.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(&faultWriter{ResponseWriter: w, ctx: r.Context(), p: p}, r)
	})
}

// NewReverseProxy puts the injector in front of the HTTP service at target. Responses are
// streamed through as they come, so stream faults act on the service's own chunks.
func NewReverseProxy(target *url.URL, in *Injector) http.Handler {
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.FlushInterval = -1
	return in.Middleware(rp)
}

// faultWriter applies the stream faults to a response's body writes.
type faultWriter struct {
	http.ResponseWriter
	ctx    context.Context
	p      plan
	writes int
}

func (w *faultWriter) Write(b []byte) (int, error) {
	n := w.writes
	w.writes++
	if n == 0 && w.p.firstChunk != nil && !sleep(w.ctx, w.p.firstChunk.Delay.D()) {
		return 0, w.ctx.Err()
	}
	if f := w.p.stall; f != nil && n == f.AfterChunks && n > 0 {
		w.Flush()
		if !sleep(w.ctx, f.Delay.D()) {
			return 0, w.ctx.Err()
		}
	}
	if f := w.p.drop; f != nil && n == f.AfterChunks {
		w.Flush()
		panic(http.ErrAbortHandler) // the server closes the connection without ending the body
	}
	if f := w.p.malformed; f != nil && n == f.AfterChunks {
		if _, err := w.ResponseWriter.Write([]byte("{\"injected\": \"malformed chunk\", \"trunc\n")); err != nil {
			return 0, err
		}
		return len(b), nil
	}
	return w.ResponseWriter.Write(b)
}

// Flush implements http.Flusher.
func (w *faultWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *faultWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Hijack implements http.Hijacker when the underlying writer does.
func (w *faultWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if h, ok := w.ResponseWriter.(http.Hijacker); ok {
		return h.Hijack()
	}
	return nil, nil, errors.New("httpfault: the response writer cannot be hijacked")
}

// sleep waits d or until ctx ends, reporting whether it waited the whole d.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
