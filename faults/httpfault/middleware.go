package httpfault

import (
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"time"

	"github.com/shakedown-dev/shakedown/internal/sleep"
)

// Middleware applies the injector's faults to the requests next serves. With no fault set it
// costs one atomic load per request.
//
// In order: a latency fault waits before next runs; an error fault answers instead of next (after
// the latency); the stream faults act on the chunks of next's body, a chunk being one line (an
// NDJSON object, an SSE line; a body without newlines is one chunk), however the handler's writes
// cut them: first-chunk delays chunk 0, stall flushes and waits before chunk AfterChunks, drop
// flushes and cuts the connection there (panic(http.ErrAbortHandler): the client sees the body
// end early), malformed replaces that chunk with broken JSON, stream-error puts an error line
// in place of the first non-blank line from AfterChunks on and ends the body there. A wait ends early when the
// request's context does, and the handler's later writes then fail.
func (in *Injector) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := in.decide(r)
		if p.empty() {
			next.ServeHTTP(w, r)
			return
		}
		if p.latency != nil && !sleep.For(r.Context(), p.latency.Action.Delay.D()) {
			return
		}
		if f := p.err; f != nil {
			if f.Action.RetryAfter > 0 {
				w.Header().Set("Retry-After", strconv.Itoa(int((f.Action.RetryAfter.D()+time.Second-1)/time.Second)))
			}
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.WriteHeader(f.Action.status())
			w.Write(in.errorBody(r, errorMessage(f)))
			return
		}
		if !p.streams() {
			next.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(&faultWriter{ResponseWriter: w, ctx: r.Context(), p: p, r: r, in: in}, r)
	})
}

// NewReverseProxy puts the injector in front of the HTTP service at target. Responses are
// streamed through as they come, so stream faults act on the service's own chunks.
func NewReverseProxy(target *url.URL, in *Injector) http.Handler {
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.FlushInterval = -1
	return in.Middleware(rp)
}
