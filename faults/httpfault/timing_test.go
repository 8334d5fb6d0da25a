package httpfault

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/shakedown-dev/shakedown/units"
)

// timedWriter records when (on the bubble's fake clock) each body write and the headers happen.
type timedWriter struct {
	*httptest.ResponseRecorder
	start   time.Time
	headers time.Duration // -1 until flushed or written
	writes  []string      // "offset body"
}

func newTimedWriter() *timedWriter {
	return &timedWriter{ResponseRecorder: httptest.NewRecorder(), start: time.Now(), headers: -1}
}

func (w *timedWriter) Write(b []byte) (int, error) {
	w.mark()
	w.writes = append(w.writes, fmt.Sprintf("%v %s", time.Since(w.start), strings.TrimSpace(string(b))))
	return w.ResponseRecorder.Write(b)
}

func (w *timedWriter) Flush() {
	w.mark()
	w.ResponseRecorder.Flush()
}

func (w *timedWriter) mark() {
	if w.headers < 0 {
		w.headers = time.Since(w.start)
	}
}

// chunks is a handler that writes n chunks ("c0".."c{n-1}"), 10ms apart, each flushed.
func chunks(n int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for i := range n {
			if i > 0 {
				time.Sleep(10 * time.Millisecond)
			}
			fmt.Fprintf(w, "c%d\n", i)
			w.(http.Flusher).Flush()
		}
	})
}

// TestTimingFaults runs each timing fault in a synctest bubble and checks, on the fake clock,
// when the headers and each chunk were written.
func TestTimingFaults(t *testing.T) {
	t.Parallel()
	ms := func(n int) units.Duration { return units.Duration(time.Duration(n) * time.Millisecond) }
	tests := []struct {
		name        string
		fault       Fault
		ctxTimeout  time.Duration
		wantHeaders time.Duration
		wantWrites  string
	}{
		{"none", Fault{Probability: 0, Action: Action{Kind: KindMalformed}}, 0, 0, "0s c0|10ms c1|20ms c2"},
		{"latency before the headers", Fault{Action: Action{Kind: KindLatency, Delay: ms(500)}}, 0, 500 * time.Millisecond, "500ms c0|510ms c1|520ms c2"},
		{"latency beyond the client's deadline", Fault{Action: Action{Kind: KindLatency, Delay: ms(500)}}, 200 * time.Millisecond, -1, ""},
		{"first chunk", Fault{Action: Action{Kind: KindFirstChunk, Delay: ms(300)}}, 0, 300 * time.Millisecond, "300ms c0|310ms c1|320ms c2"},
		{"stall after 2 chunks", Fault{Action: Action{Kind: KindStall, Delay: ms(1000), AfterChunks: 2}}, 0, 0, "0s c0|10ms c1|1.02s c2"},
		{"stall at 0 sends the headers first", Fault{Action: Action{Kind: KindStall, Delay: ms(1000)}}, 0, 0, "1s c0|1.01s c1|1.02s c2"},
		{"stall cut by the client's deadline", Fault{Action: Action{Kind: KindStall, Delay: ms(1000), AfterChunks: 1}}, 250 * time.Millisecond, 0, "0s c0"},
		{"malformed second chunk", Fault{Action: Action{Kind: KindMalformed, AfterChunks: 1}}, 0, 0, `0s c0|10ms {"injected": "malformed chunk", "trunc|20ms c2`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				tt.fault.Name = "f"
				if tt.fault.Probability == 0 && tt.name != "none" {
					tt.fault.Probability = 1
				}
				in, err := New(Config{Faults: []Fault{tt.fault}})
				if err != nil {
					t.Fatal(err)
				}
				ctx := context.Background()
				if tt.ctxTimeout > 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, tt.ctxTimeout)
					defer cancel()
				}
				w := newTimedWriter()
				// The recorder sees the fault's writes; record what the faultWriter passes on.
				h := in.Middleware(chunks(3))
				h.ServeHTTP(w, httptest.NewRequestWithContext(ctx, "POST", "/api/chat", nil))
				if got := strings.Join(w.writes, "|"); got != tt.wantWrites || w.headers != tt.wantHeaders {
					t.Errorf("%+v: headers at %v, writes %q; want headers at %v, writes %q", tt.fault, w.headers, got, tt.wantHeaders, tt.wantWrites)
				}
			})
		})
	}
}

func TestErrorFault(t *testing.T) {
	t.Parallel()
	tests := []struct {
		fault          Fault
		wantCode       int
		wantRetryAfter string
	}{
		{Fault{Action: Action{Kind: KindError}}, 503, ""},
		{Fault{Action: Action{Kind: KindError, Status: 500}}, 500, ""},
		{Fault{Action: Action{Kind: KindError, Status: 429, RetryAfter: units.Duration(2 * time.Second)}}, 429, "2"},
		{Fault{Action: Action{Kind: KindError, Status: 429, RetryAfter: units.Duration(1500 * time.Millisecond)}}, 429, "2"}, // rounded up
		{Fault{Action: Action{Kind: KindError, Status: 503, RetryAfter: units.Duration(time.Millisecond)}}, 503, "1"},
	}
	for _, tt := range tests {
		tt.fault.Name, tt.fault.Probability = "e", 1
		in, _ := New(Config{Faults: []Fault{tt.fault}})
		called := false
		w := httptest.NewRecorder()
		in.Middleware(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { called = true })).ServeHTTP(w, httptest.NewRequest("POST", "/api/generate", nil))
		want := fmt.Sprintf(`{"error":"injected fault e: %d %s"}`+"\n", tt.wantCode, http.StatusText(tt.wantCode))
		if w.Code != tt.wantCode || w.Header().Get("Retry-After") != tt.wantRetryAfter || w.Body.String() != want || called {
			t.Errorf("%+v: %d, Retry-After %q, body %q, handler called %v; want %d, %q, %q, not called",
				tt.fault, w.Code, w.Header().Get("Retry-After"), w.Body, called, tt.wantCode, tt.wantRetryAfter, want)
		}
	}
}

// TestChunksAreLines: the stream faults count lines, however the handler's writes cut them (a
// reverse proxy passes on a backend's lines merged or split).
func TestChunksAreLines(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		fault  Fault
		writes []string
		want   string
		panics bool
	}{
		{"malformed in a merged write", Fault{Action: Action{Kind: KindMalformed, AfterChunks: 1}}, []string{"c0\nc1\nc2\n"}, "c0\n" + malformedChunk + "c2\n", false},
		{"malformed across split writes", Fault{Action: Action{Kind: KindMalformed, AfterChunks: 1}}, []string{"c0\nc", "1 and more", "\nc2", "\n"}, "c0\n" + malformedChunk + "c2\n", false},
		{"malformed last line without newline", Fault{Action: Action{Kind: KindMalformed, AfterChunks: 2}}, []string{"c0\nc1\n", "{\"done\":true}"}, "c0\nc1\n" + malformedChunk, false},
		{"a body without newlines is one chunk", Fault{Action: Action{Kind: KindMalformed}}, []string{"{\"a\":", "1}"}, malformedChunk, false},
		{"drop in a merged write", Fault{Action: Action{Kind: KindDrop, AfterChunks: 2}}, []string{"c0\nc1\nc2\nc3\n"}, "c0\nc1\n", true},
		{"drop beyond the body", Fault{Action: Action{Kind: KindDrop, AfterChunks: 9}}, []string{"c0\nc1\n"}, "c0\nc1\n", false},
	}
	for _, tt := range tests {
		tt.fault.Name, tt.fault.Probability = "f", 1
		in, _ := New(Config{Faults: []Fault{tt.fault}})
		w := httptest.NewRecorder()
		h := in.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			for _, s := range tt.writes {
				if n, err := w.Write([]byte(s)); n != len(s) || err != nil {
					t.Errorf("%s: Write(%q) = %d, %v; want %d, nil", tt.name, s, n, err, len(s))
				}
			}
		}))
		panicked := func() (p bool) {
			defer func() { p = recover() == http.ErrAbortHandler }()
			h.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
			return false
		}()
		if got := w.Body.String(); got != tt.want || panicked != tt.panics {
			t.Errorf("%s: body %q, aborted %v; want %q, aborted %v", tt.name, got, panicked, tt.want, tt.panics)
		}
	}
}
