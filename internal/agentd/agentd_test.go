package agentd_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/shakedown-dev/shakedown/env"
	"github.com/shakedown-dev/shakedown/faults/httpfault"
	"github.com/shakedown-dev/shakedown/harness/harnesstest"
	"github.com/shakedown-dev/shakedown/internal/agentd"
	"github.com/shakedown-dev/shakedown/service"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("github.com/redis/go-redis/v9/internal/pool.(*ConnPool).tryDial"))
}

// start runs agentd with the given flags against a local environment and returns its base URL
// and the environment.
func start(t *testing.T, args ...string) (string, *env.Env) {
	t.Helper()
	e := harnesstest.StartEnv(t, env.Spec{Backend: service.BackendLocal, StateDir: t.TempDir()})
	vars := map[string]string{}
	for _, s := range e.Services() {
		vars[service.URLVar(s.Name)] = s.URL
	}
	cfg, err := agentd.ParseFlags(args, func(k string) string { return vars[k] }, io.Discard)
	require.NoError(t, err)
	srv, err := agentd.New(context.Background(), cfg)
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan struct{})
	go func() { srv.Serve(ln); close(done) }()
	t.Cleanup(func() {
		srv.Shutdown(context.Background())
		<-done
	})
	return "http://" + ln.Addr().String(), e
}

func post(t *testing.T, url, token, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func decode[T any](t *testing.T, r io.Reader) T {
	t.Helper()
	var v T
	require.NoError(t, json.NewDecoder(r).Decode(&v))
	return v
}

// TestRunsAcknowledgedAfterCommitAndDegradedWhenTheLLMFails: a run is answered by the LLM,
// acknowledged with its Location and readable there; the same prompt again comes from the cache;
// with the LLM failing, the answer is degraded (header and body) and still saved.
func TestRunsAcknowledgedAfterCommitAndDegradedWhenTheLLMFails(t *testing.T) {
	t.Parallel()
	base, e := start(t)
	resp := post(t, base+"/v1/agents/support/runs", "", `{"prompt": "Where is my order?"}`)
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	run := decode[agentd.RunResponse](t, resp.Body)
	assert.Equal(t, "llm", run.Source)
	assert.False(t, run.Degraded)
	assert.NotEmpty(t, run.Answer)
	assert.Equal(t, "/v1/runs/"+run.RunID, resp.Header.Get("Location"))

	got, err := http.Get(base + resp.Header.Get("Location"))
	require.NoError(t, err)
	defer got.Body.Close()
	require.Equal(t, http.StatusOK, got.StatusCode)
	stored := decode[agentd.Run](t, got.Body)
	assert.Equal(t, run.Answer, stored.Answer)
	assert.Equal(t, "support", stored.AgentID)

	again := decode[agentd.RunResponse](t, post(t, base+"/v1/agents/support/runs", "", `{"prompt": "Where is my order?"}`).Body)
	assert.Equal(t, "cache", again.Source)
	assert.Equal(t, run.Answer, again.Answer)

	inj, err := e.FaultTargets().HTTP(service.Ollama)
	require.NoError(t, err)
	require.NoError(t, inj.Set(t.Context(), httpfault.Fault{Name: "down", Probability: 1, Action: httpfault.Action{Kind: httpfault.KindError, Status: 503}}))
	resp = post(t, base+"/v1/agents/support/runs", "", `{"prompt": "Something new"}`)
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	assert.Equal(t, "true", resp.Header.Get("X-Degraded"))
	deg := decode[agentd.RunResponse](t, resp.Body)
	assert.True(t, deg.Degraded)
	assert.Equal(t, "fallback", deg.Source)

	for body, want := range map[string]int{`{}`: 400, `{"prompt": "x", "extra": 1}`: 400, `not json`: 400} {
		assert.Equal(t, want, post(t, base+"/v1/agents/support/runs", "", body).StatusCode, body)
	}
	assert.Equal(t, http.StatusNotFound, post(t, base+"/v1/agents/nobody/runs", "", `{"prompt": "hi"}`).StatusCode)
}

// TestNoAcknowledgementWithoutCommit: with Postgres's proxy down, a run is a 503 and has no
// Location (agent settings read earlier still serve); /health/ready says 503 and /status names
// nothing degraded until a breaker opens.
func TestNoAcknowledgementWithoutCommit(t *testing.T) {
	t.Parallel()
	base, e := start(t)
	require.Equal(t, http.StatusCreated, post(t, base+"/v1/agents/support/runs", "", `{"prompt": "warm the settings"}`).StatusCode)
	pg, _ := e.Service(service.Postgres)
	require.NoError(t, pg.Proxy.Disable(context.Background()))
	resp := post(t, base+"/v1/agents/support/runs", "", `{"prompt": "while the database is away"}`)
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	assert.Empty(t, resp.Header.Get("Location"))
	ready, err := http.Get(base + "/health/ready")
	require.NoError(t, err)
	ready.Body.Close()
	assert.Equal(t, http.StatusServiceUnavailable, ready.StatusCode)
	require.NoError(t, pg.Proxy.Enable(context.Background()))
}

// TestAdminResetNeedsTheToken: the emergency reset refuses a missing or wrong token, and with the
// right one closes a breaker that was open; /status shows the breaker open and since when, then
// closed.
func TestAdminResetNeedsTheToken(t *testing.T) {
	t.Parallel()
	base, e := start(t, "--admin-token", "s3cret", "--breaker-open", "1h")
	reset := base + "/admin/breakers/ollama/reset"
	resp := post(t, reset, "", "")
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Contains(t, resp.Header.Get("WWW-Authenticate"), "Bearer")
	assert.Equal(t, http.StatusForbidden, post(t, reset, "wrong", "").StatusCode)
	assert.Equal(t, http.StatusNotFound, post(t, base+"/admin/breakers/nope/reset", "s3cret", "").StatusCode)

	inj, _ := e.FaultTargets().HTTP(service.Ollama)
	require.NoError(t, inj.Set(t.Context(), httpfault.Fault{Name: "down", Probability: 1, Action: httpfault.Action{Kind: httpfault.KindError, Status: 500}}))
	for i := range 12 { // enough failures to open the breaker (10 calls at least, half failing)
		post(t, base+"/v1/agents/support/runs", "", `{"prompt": "q`+string(rune('a'+i))+`"}`)
	}
	st := status(t, base)
	require.Equal(t, "open", st.Services["ollama"].State)
	assert.NotNil(t, st.Services["ollama"].DegradedSince)
	assert.Equal(t, "degraded", st.Status)

	resp = post(t, reset, "s3cret", "")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, map[string]string{"breaker": "ollama", "state": "closed"}, decode[map[string]string](t, resp.Body))
	st = status(t, base)
	assert.Equal(t, "closed", st.Services["ollama"].State)
	assert.Equal(t, "ok", st.Status)
}

func status(t *testing.T, base string) agentd.StatusResponse {
	t.Helper()
	resp, err := http.Get(base + "/status")
	require.NoError(t, err)
	defer resp.Body.Close()
	return decode[agentd.StatusResponse](t, resp.Body)
}

func TestParseFlags(t *testing.T) {
	t.Parallel()
	vars := map[string]string{"SHAKEDOWN_POSTGRES_DSN": "postgres://x", "SHAKEDOWN_REDIS_URL": "redis://x", "SHAKEDOWN_OLLAMA_URL": "http://x", "PORT": "9000"}
	cfg, err := agentd.ParseFlags(nil, func(k string) string { return vars[k] }, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1:9000", cfg.Addr)
	assert.Equal(t, "postgres://x", cfg.PostgresDSN)

	var out bytes.Buffer
	_, err = agentd.ParseFlags([]string{"--breaker-threshold", "2", "--llm-timeout", "-1s"}, func(string) string { return "" }, &out)
	require.Error(t, err)
	for _, want := range []string{"the Postgres DSN (--postgres, SHAKEDOWN_POSTGRES_DSN) is required", "--llm-timeout = -1s", "--breaker-threshold = 2"} {
		assert.Contains(t, err.Error(), want)
	}
	_, err = agentd.ParseFlags([]string{"stray"}, func(k string) string { return vars[k] }, io.Discard)
	assert.ErrorContains(t, err, `unexpected argument "stray"`)
}

// TestToolRunAnswersWithTheToolsResult: on a tool run the model calls count_runs, agentd counts
// the agent's stored runs in Postgres, and the answer the model gives with the result carries it.
func TestToolRunAnswersWithTheToolsResult(t *testing.T) {
	t.Parallel()
	base, _ := start(t)
	for i := range 2 {
		require.Equal(t, http.StatusCreated, post(t, base+"/v1/agents/support/runs", "", `{"prompt": "question `+string(rune('a'+i))+`"}`).StatusCode)
	}
	resp := post(t, base+"/v1/agents/support/tool-runs", "", `{"prompt": "How many questions have you answered?"}`)
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	run := decode[agentd.RunResponse](t, resp.Body)
	assert.Equal(t, "llm", run.Source)
	assert.True(t, strings.HasPrefix(run.Answer, `{"runs":2}`), "the answer %q should begin with the tool's result", run.Answer)

	again := decode[agentd.RunResponse](t, post(t, base+"/v1/agents/support/tool-runs", "", `{"prompt": "How many questions have you answered?"}`).Body)
	assert.True(t, strings.HasPrefix(again.Answer, `{"runs":3}`), "a tool's answer is not cached: %q should count the run before", again.Answer)
}

// TestCutStreamIsAFailure: an answer whose stream ends in Ollama's error line is a failed LLM
// call (retried, then the fallback), not a short answer; with --accept-cut-answers it is taken
// as the answer, the mistake the llm-stream-dies scenario catches.
func TestCutStreamIsAFailure(t *testing.T) {
	t.Parallel()
	dies := httpfault.Fault{Name: "dies", Probability: 1, Action: httpfault.Action{Kind: httpfault.KindStreamError, AfterChunks: 2, PathPrefix: "/api/chat"}}
	base, e := start(t, "--no-retries")
	inj, err := e.FaultTargets().HTTP(service.Ollama)
	require.NoError(t, err)
	require.NoError(t, inj.Set(t.Context(), dies))
	run := decode[agentd.RunResponse](t, post(t, base+"/v1/agents/support/runs", "", `{"prompt": "cut me"}`).Body)
	assert.True(t, run.Degraded, "a cut stream should fail the call: %+v", run)
	assert.Equal(t, "fallback", run.Source)

	careless, e2 := start(t, "--no-retries", "--accept-cut-answers")
	inj2, err := e2.FaultTargets().HTTP(service.Ollama)
	require.NoError(t, err)
	require.NoError(t, inj2.Set(t.Context(), dies))
	cut := decode[agentd.RunResponse](t, post(t, careless+"/v1/agents/support/runs", "", `{"prompt": "cut me"}`).Body)
	assert.False(t, cut.Degraded)
	assert.Equal(t, 2, len(strings.Fields(cut.Answer)), "the careless service keeps the 2 tokens before the cut: %q", cut.Answer)
}
