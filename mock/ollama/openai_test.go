package ollama_test

import (
	"encoding/json"
	"io"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/shakedown-dev/shakedown/faults/httpfault"
	"github.com/shakedown-dev/shakedown/mock/ollama"
)

// TestOpenAIAnswersLikeOllama: the codes, content types and bodies of Ollama 0.17.4's /v1
// answers to bad and unknown requests, each row citing the line of its middleware/openai.go (or
// the native handler whose error the middleware turns into OpenAI's shape, typed api_error).
func TestOpenAIAnswersLikeOllama(t *testing.T) {
	t.Parallel()
	s, err := ollama.New(ollama.Config{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	const bad = "application/json; charset=utf-8" // gin's AbortWithStatusJSON
	e := func(msg, typ string) string {
		return `{"error":{"message":"` + msg + `","type":"` + typ + `","param":null,"code":null}}`
	}
	for _, tt := range []struct {
		method, path, body string
		code               int
		ct, want           string
	}{
		// ChatMiddleware, middleware/openai.go:400 (ShouldBindJSON) and :407.
		{"POST", "/v1/chat/completions", "", 400, bad, e("EOF", "invalid_request_error")},
		{"POST", "/v1/chat/completions", `{"model":"llama3.2","messages":[]}`, 400, bad, e("[] is too short - 'messages'", "invalid_request_error")},
		// The chat handler's 404, through BaseWriter.writeError, middleware/openai.go:54.
		{"POST", "/v1/chat/completions", `{"model":"nope","messages":[{"role":"user","content":"hi"}]}`, 404, "application/json", e("model 'nope' not found", "api_error")},
		// EmbeddingsMiddleware, middleware/openai.go:358 and :373.
		{"POST", "/v1/embeddings", `{"model":"nomic-embed-text","input":"a","encoding_format":"hex"}`, 400, bad,
			e("Invalid value for 'encoding_format' = hex. Supported values: ['float', 'base64'].", "invalid_request_error")},
		{"POST", "/v1/embeddings", `{"model":"nomic-embed-text","input":[]}`, 400, bad, e("invalid input", "invalid_request_error")},
		// RetrieveMiddleware, middleware/openai.go:290, and the show handler's 404.
		{"GET", "/v1/models/nope", "", 404, "application/json", e("model 'nope' not found", "api_error")},
	} {
		w := httptest.NewRecorder()
		s.Handler().ServeHTTP(w, httptest.NewRequest(tt.method, tt.path, strings.NewReader(tt.body)))
		body := strings.TrimSuffix(w.Body.String(), "\n")
		if w.Code != tt.code || w.Header().Get("Content-Type") != tt.ct || body != tt.want {
			t.Errorf("%s %s %s = %d %q %s; want %d %q %s", tt.method, tt.path, tt.body, w.Code, w.Header().Get("Content-Type"), body, tt.code, tt.ct, tt.want)
		}
	}
}

// TestOpenAIStreamAndFaults: a streamed chat is server-sent events ending in [DONE]; an injected
// error on a /v1 path answers in OpenAI's shape, and on a native path in Ollama's.
func TestOpenAIStreamAndFaults(t *testing.T) {
	t.Parallel()
	s := ollama.NewServer(ollama.Config{Seed: 1})
	defer s.Close()
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, httptest.NewRequest("POST", "/v1/chat/completions", strings.NewReader(`{"model":"llama3.2","stream":true,"messages":[{"role":"user","content":"hi"}]}`)))
	body, _ := io.ReadAll(w.Body)
	if w.Code != 200 || w.Header().Get("Content-Type") != "text/event-stream" || !strings.HasPrefix(string(body), `data: {"id":"chatcmpl-`) ||
		!strings.HasSuffix(string(body), "data: [DONE]\n\n") || !strings.Contains(string(body), `"finish_reason":"stop"`) {
		t.Errorf("stream = %d %q:\n%s", w.Code, w.Header().Get("Content-Type"), body)
	}
	if err := s.Faults().Set(httpfault.Fault{Name: "down", Probability: 1, Action: httpfault.Action{Kind: httpfault.KindError, Status: 503}}); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		"/v1/chat/completions": `{"error":{"message":"injected fault down: 503 Service Unavailable","type":"api_error","param":null,"code":null}}`,
		"/api/chat":            `{"error":"injected fault down: 503 Service Unavailable"}`,
	} {
		w := httptest.NewRecorder()
		s.Handler().ServeHTTP(w, httptest.NewRequest("POST", path, strings.NewReader(`{}`)))
		if got := strings.TrimSuffix(w.Body.String(), "\n"); w.Code != 503 || got != want {
			t.Errorf("%s under the fault = %d %s; want 503 %s", path, w.Code, got, want)
		}
	}
}

// TestNumPredictCutsWithLength: num_predict cuts a longer answer there, done_reason "length" and
// the start of the whole answer; a limit past the answer's end changes nothing ("stop"), as
// Ollama's runner stops at the limit.
func TestNumPredictCutsWithLength(t *testing.T) {
	t.Parallel()
	s, err := ollama.New(ollama.Config{Seed: 1, Tokens: 10})
	if err != nil {
		t.Fatal(err)
	}
	gen := func(numPredict int) (response, reason string, evals int) {
		w := httptest.NewRecorder()
		s.Handler().ServeHTTP(w, httptest.NewRequest("POST", "/api/generate", strings.NewReader(
			`{"model":"llama3.2","prompt":"hi","stream":false,"options":{"num_predict":`+strconv.Itoa(numPredict)+`}}`)))
		var r struct {
			Response   string `json:"response"`
			DoneReason string `json:"done_reason"`
			EvalCount  int    `json:"eval_count"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &r); err != nil {
			t.Fatalf("%d %s: %v", w.Code, w.Body, err)
		}
		return r.Response, r.DoneReason, r.EvalCount
	}
	whole, reason, n := gen(100)
	if reason != "stop" || n != 10 {
		t.Fatalf("num_predict 100 over a 10-token answer: %q, %s, %d tokens; want the whole answer, stop", whole, reason, n)
	}
	cut, reason, n := gen(3)
	if reason != "length" || n != 3 || !strings.HasPrefix(whole, cut) || cut == whole {
		t.Errorf("num_predict 3: %q, %s, %d tokens; want the first 3 tokens of %q, length", cut, reason, n, whole)
	}
}
