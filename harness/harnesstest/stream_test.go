package harnesstest_test

import (
	"context"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"

	"github.com/shakedown-dev/shakedown/harness"
	"github.com/shakedown-dev/shakedown/harness/harnesstest"
	"github.com/shakedown-dev/shakedown/record"
	"github.com/shakedown-dev/shakedown/scenarios"
	"github.com/shakedown-dev/shakedown/service"
)

// newGateway is an LLM gateway as a team writes it: it relays the LLM's streamed answers to its
// clients as they come (POST /chat to Ollama's native /api/chat, POST /v1/chat to its
// OpenAI-compatible /v1/chat/completions) and never looks at how a stream ends, so a stream the
// model runner cut short reaches the client as a 200.
func newGateway(_ context.Context, deps harness.Deps) (http.Handler, func(), error) {
	u, err := url.Parse(deps[service.Ollama].URL)
	if err != nil {
		return nil, nil, err
	}
	relay := func(path string) http.Handler {
		return &httputil.ReverseProxy{FlushInterval: -1, Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(u)
			r.Out.URL.Path = path
		}}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health/ready", func(http.ResponseWriter, *http.Request) {})
	mux.Handle("POST /chat", relay("/api/chat"))
	mux.Handle("POST /v1/chat", relay("/v1/chat/completions"))
	return mux, nil, nil
}

const streamScenario = `name: streamed answers cut short
environment: {services: [ollama], backend: local}
sut: {builtin: gateway}
load:
  rate: 10/s
  targets:
    - name: native
      method: POST
      url: /chat
      headers: {Content-Type: application/json}
      body: '{"model": "qwen2.5", "messages": [{"role": "user", "content": "Where is order {{seq}}?"}], "stream": true}'
      checks: [{stream: {last: /done}}]
    - name: openai
      method: POST
      url: /v1/chat
      headers: {Content-Type: application/json}
      body: '{"model": "qwen2.5", "messages": [{"role": "user", "content": "Where is order {{seq}}?"}], "stream": true}'
      checks: [{stream: {last: /choices/0/finish_reason}}]
phases: {warmup: 2s, fault: 3s, recovery: 1s}
faults:
  - {name: runner-dies, type: http, target: ollama, fault: stream-error, after_chunks: 2}
assertions:
  - {name: native healthy before, type: availability, phase: warmup, target: native, min: 99%, min_samples: 5}
  - {name: openai healthy before, type: availability, phase: warmup, target: openai, min: 99%, min_samples: 5}
  - {name: native available, type: availability, phase: fault, target: native, min: 99%, min_samples: 5}
  - {name: openai available, type: availability, phase: fault, target: openai, min: 99%, min_samples: 5}
`

// TestCutStreamFailsAvailability: a gateway relays the mock Ollama's streams, native and /v1,
// and the model runner dies after two chunks of every answer in the fault phase (Ollama's own
// last line: an error line natively, an empty chunk with no finish reason on /v1). Every answer
// is a 200, so by status the gateway looks 100% available; each target's stream check fails
// the cut answers, and availability fails on both APIs, naming the check. Before the warmup's
// fault-free streams pass the same check.
func TestCutStreamFailsAvailability(t *testing.T) {
	t.Parallel()
	sc, err := scenarios.Parse("stream.yaml", []byte(streamScenario))
	if err != nil {
		t.Fatal(err)
	}
	res := harnesstest.Run(t, sc, harness.RunOptions{Seed: 9, Builtins: harness.Builtins{
		"gateway": {Needs: []string{service.Ollama}, Handler: newGateway},
	}})
	harnesstest.AssertPass(t, res.Verdicts, "native healthy before", "openai healthy before")
	harnesstest.AssertFail(t, res.Verdicts, "native available", "openai available")
	for _, name := range []string{"native available", "openai available"} {
		if v, _ := harnesstest.Find(res.Verdicts, name); !strings.Contains(v.Explanation, "check `stream completed`") || !strings.Contains(v.Explanation, "0 4xx, 0 5xx, 0 errors") {
			t.Errorf("%s: %s; want the failures counted as the stream check's, none by status", name, v.Explanation)
		}
	}
	for _, target := range []string{"native", "openai"} {
		c := res.Record.Targets[target].Counts[record.PhaseFault]
		if c.FailedChecks["stream completed"] == 0 || c.Failed4xx+c.Failed5xx+c.Errors != 0 {
			t.Errorf("target %s in the fault phase: %+v; want cut streams failed by the check alone", target, c)
		}
	}
}
