package httpfault

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// lines is a handler that writes n flushed NDJSON lines.
func lines(n int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-ndjson")
		for i := range n {
			fmt.Fprintf(w, "{\"i\":%d}\n", i)
			w.(http.Flusher).Flush()
		}
	})
}

// get fetches url with a client of its own and returns the status, the body read and the read error.
func get(t *testing.T, url string) (int, string, error) {
	t.Helper()
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// TestDropCutsTheConnection: a plain HTTP client sees the status, the chunks before the drop, and
// then the body end early with io.ErrUnexpectedEOF.
func TestDropCutsTheConnection(t *testing.T) {
	t.Parallel()
	for _, after := range []int{0, 2} {
		in, _ := New(Config{Faults: []Fault{{Name: "drop", Probability: 1, Action: Action{Kind: KindDrop, AfterChunks: after}}}})
		srv := httptest.NewServer(in.Middleware(lines(5)))
		code, body, err := get(t, srv.URL)
		srv.Close()
		want := ""
		for i := range after {
			want += fmt.Sprintf("{\"i\":%d}\n", i)
		}
		if code != 200 || !errors.Is(err, io.ErrUnexpectedEOF) || body != want {
			t.Errorf("drop after %d: %d, body %q, err %v; want 200, %q, unexpected EOF", after, code, body, err, want)
		}
	}
}

func TestReverseProxy(t *testing.T) {
	t.Parallel()
	backend := httptest.NewServer(lines(3))
	defer backend.Close()
	u, _ := url.Parse(backend.URL)
	in, _ := New(Config{Faults: []Fault{
		{Name: "bad", Probability: 1, Action: Action{Kind: KindMalformed, PathPrefix: "/x"}},
		{Name: "cut", Probability: 1, Action: Action{Kind: KindDrop, PathPrefix: "/cut", AfterChunks: 1}},
		{Name: "down", Probability: 1, Action: Action{Kind: KindError, PathPrefix: "/down", Status: 502}},
	}})
	proxy := httptest.NewServer(NewReverseProxy(u, in))
	defer proxy.Close()

	if _, got, err := get(t, proxy.URL+"/y"); got != "{\"i\":0}\n{\"i\":1}\n{\"i\":2}\n" || err != nil {
		t.Errorf("GET /y (unmatched) through the proxy = %q, %v; want the backend's 3 lines", got, err)
	}
	// The proxy may pass the backend's chunks on merged, so only the first write is certain.
	if _, got, _ := get(t, proxy.URL+"/x"); !strings.HasPrefix(got, malformedChunk) {
		t.Errorf("GET /x = %q; want the first chunk broken", got)
	}
	if code, got, err := get(t, proxy.URL+"/cut"); code != 200 || !errors.Is(err, io.ErrUnexpectedEOF) || !strings.HasPrefix(got, "{\"i\":0}\n") {
		t.Errorf("GET /cut = %d %q, %v; want 200, the first chunk, unexpected EOF", code, got, err)
	}
	if code, got, _ := get(t, proxy.URL+"/down"); code != 502 || !strings.Contains(got, "injected fault down") {
		t.Errorf("GET /down = %d %q; want the injected 502", code, got)
	}
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	in, _ := New(Config{Seed: 5, Faults: []Fault{
		{Name: "always", Probability: 1, Action: Action{Kind: KindError, PathPrefix: "/a"}},
		{Name: "never", Probability: 0, Action: Action{Kind: KindLatency, Delay: 1}},
	}})
	reg := prometheus.NewRegistry()
	if err := reg.Register(in.Collector()); err != nil {
		t.Fatal(err)
	}
	h := in.Middleware(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	for _, p := range []string{"/a", "/a", "/b"} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", p, nil))
	}
	want := `
# HELP httpfault_decisions_total Per-request fault decisions, by fault, kind and whether the fault was injected.
# TYPE httpfault_decisions_total counter
httpfault_decisions_total{fault="always",injected="false",kind="error"} 0
httpfault_decisions_total{fault="always",injected="true",kind="error"} 2
httpfault_decisions_total{fault="never",injected="false",kind="latency"} 3
httpfault_decisions_total{fault="never",injected="true",kind="latency"} 0
# HELP httpfault_faults_active Faults set on the injector.
# TYPE httpfault_faults_active gauge
httpfault_faults_active 2
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want)); err != nil {
		t.Errorf("metrics after 3 requests: %v", err)
	}
	in.Remove("never")
	if got := testutil.ToFloat64(prometheus.Collector(in.metrics.active)); got != 1 {
		t.Errorf("%s after Remove = %v; want 1", MetricActive, got)
	}
}

// TestStreamError: the first non-blank line from AfterChunks on is replaced by the error line
// and the body ends there, status 200; the handler's later writes fail. Config.StreamError gets
// the last non-blank line the client received (an SSE event's data line, across blank lines).
func TestStreamError(t *testing.T) {
	t.Parallel()
	f := Fault{Name: "dies", Probability: 1, Action: Action{Kind: KindStreamError, AfterChunks: 2}}
	var laterErr error
	sse := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for i := range 4 {
			if _, err := fmt.Fprintf(w, "data: {\"i\":%d}\n\n", i); err != nil {
				laterErr = err
				return
			}
		}
	})
	var last string
	in, err := New(Config{Faults: []Fault{f}, StreamError: func(_ *http.Request, l []byte, msg string) []byte {
		last = string(l)
		return []byte("data: cut (" + msg + ")\n\n")
	}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(in.Middleware(sse))
	defer srv.Close()
	code, body, err := get(t, srv.URL)
	// chunks 0 and 1 are the first event's two lines; chunk 2, the second data line, is replaced
	if code != 200 || err != nil || body != "data: {\"i\":0}\n\ndata: cut (injected fault dies: the stream ended with an error)\n\n" || last != `data: {"i":0}` || laterErr == nil {
		t.Errorf("SSE: %d %q %v, last %q, later write error %v; want the first event, the cut line, the end", code, body, err, last, laterErr)
	}

	def, _ := New(Config{Faults: []Fault{f}})
	srv2 := httptest.NewServer(def.Middleware(lines(5)))
	defer srv2.Close()
	if _, body, _ := get(t, srv2.URL); body != "{\"i\":0}\n{\"i\":1}\n{\"error\":\"injected fault dies: the stream ended with an error\"}\n" {
		t.Errorf("NDJSON with the default line: %q", body)
	}
	bad := Fault{Name: "x", Probability: 1, Action: Action{Kind: KindStreamError}}
	if err := Validate(bad); err == nil || !strings.Contains(err.Error(), "after_chunks = 0; want 1 or more for a stream-error fault") {
		t.Errorf("Validate at 0 chunks = %v", err)
	}
}
