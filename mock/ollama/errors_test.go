package ollama_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ollama/ollama/api"

	"github.com/shakedown-dev/shakedown/mock/ollama"
)

// TestAnswersLikeOllama: the status, content type and body of Ollama v0.17.4's answers to bad,
// empty, unknown and odd requests, endpoint by endpoint. Each row cites the line of Ollama's source
// (module github.com/ollama/ollama@v0.17.4, or gin v1.10.0 and gin-contrib/cors v1.7.2, which
// its router is built on) that gives that answer.
func TestAnswersLikeOllama(t *testing.T) {
	t.Parallel()
	const jsonCT = "application/json; charset=utf-8"
	const plain = "text/plain; charset=utf-8"
	tests := []struct {
		method, path, body string
		wantCode           int
		wantCT             string
		wantBody           string // exact, without the trailing newline
		source             string
	}{
		{"GET", "/", "", 200, plain, "Ollama is running", "server/routes.go:1597"},
		{"HEAD", "/", "", 200, plain, "Ollama is running", "server/routes.go:1596"}, // a real server sends no body; the recorder keeps it
		{"GET", "/api/version", "", 200, jsonCT, `{"version":"0.17.4"}`, "server/routes.go:1599"},
		{"HEAD", "/api/version", "", 200, jsonCT, `{"version":"0.17.4"}`, "server/routes.go:1598"},
		{"GET", "/api/nothing", "", 404, plain, "404 page not found", "gin.go:670 (default404Body)"},
		{"GET", "/api/generate", "", 405, plain, "405 method not allowed", "gin.go:649-664 (HandleMethodNotAllowed, routes.go:1589)"},
		{"PUT", "/api/tags", "", 405, plain, "405 method not allowed", "gin.go:649-664"},
		{"HEAD", "/api/ps", "", 405, plain, "405 method not allowed", "gin.go:649-664 (/api/ps is GET only, routes.go:1626)"},
		{"OPTIONS", "/api/chat", "", 405, plain, "405 method not allowed", "gin.go:649-664 (no Origin: not a CORS request, cors config.go:72)"},
		{"POST", "/api/chat/", `{}`, 307, "", "", "gin.go:637-639, 720-729 (RedirectTrailingSlash; 307 for a method other than GET)"},
		{"GET", "/api/tags/", "", 301, "text/html; charset=utf-8", `<a href="/api/tags">Moved Permanently</a>.` + "\n", "gin.go:720-729"},

		{"POST", "/api/generate", "", 400, jsonCT, `{"error":"missing request body"}`, "server/routes.go:187"},
		{"POST", "/api/generate", "{", 400, jsonCT, `{"error":"unexpected EOF"}`, "server/routes.go:190"},
		{"POST", "/api/generate", `{"model":1}`, 400, jsonCT, `{"error":"json: cannot unmarshal number into Go struct field GenerateRequest.model of type string"}`, "server/routes.go:190 (api.GenerateRequest)"},
		{"POST", "/api/chat", `{"model":"llama3.2","messages":"hi"}`, 400, jsonCT, `{"error":"json: cannot unmarshal string into Go struct field ChatRequest.messages of type []api.Message"}`, "server/routes.go:1991 (api.ChatRequest)"},
		{"POST", "/api/generate", `{"model":"llama3.2","keep_alive":"soon"}`, 400, jsonCT, `{"error":"time: invalid duration \"soon\""}`, "server/routes.go:190, api/types.go:1216 (Duration.UnmarshalJSON)"},
		{"POST", "/api/generate", `{"model":"llama3.2","prompt":"x","top_logprobs":21}`, 400, jsonCT, `{"error":"top_logprobs must be between 0 and 20"}`, "server/routes.go:195"},
		{"POST", "/api/generate", `{"prompt":"x"}`, 404, jsonCT, `{"error":"model '' not found"}`, "server/routes.go:203"},
		{"POST", "/api/generate", `{"model":"gpt-17","prompt":"x"}`, 404, jsonCT, `{"error":"model 'gpt-17' not found"}`, "server/routes.go:218"},
		{"POST", "/api/generate", `{"model":"llama3.2","keep_alive":0}`, 200, jsonCT, `{"model":"llama3.2","created_at":"2026-11-22T00:00:00Z","response":"","done":true,"done_reason":"unload"}`, "server/routes.go:336-347"},
		{"POST", "/api/generate", `{"model":"llama3.2","prompt":"x","raw":true,"system":"s"}`, 400, jsonCT, `{"error":"raw mode does not support template, system, or context"}`, "server/routes.go:356"},
		{"POST", "/api/generate", `{"model":"qwen3","prompt":"x","think":"high"}`, 400, jsonCT, `{"error":"think value \"high\" is not supported for this model"}`, "server/routes.go:375"},
		{"POST", "/api/generate", `{"model":"llama3.2","prompt":"x","think":true}`, 400, jsonCT, `{"error":"\"llama3.2\" does not support thinking"}`, "server/routes.go:392"},
		{"POST", "/api/generate", `{"model":"nomic-embed-text","prompt":"x"}`, 400, jsonCT, `{"error":"\"nomic-embed-text\" does not support generate"}`, "server/routes.go:399"},
		{"POST", "/api/generate", `{"model":"llama3.2","prompt":"x","suffix":"y"}`, 400, jsonCT, `{"error":"registry.ollama.ai/library/llama3.2:latest does not support insert"}`, "server/routes.go:149, 2504 (scheduleRunner, handleScheduleError)"},
		{"POST", "/api/generate", `{"model":"llama3.2","prompt":"x","options":{"temperature":"hot"}}`, 500, jsonCT, `{"error":"option \"temperature\" must be of type float32"}`, "api/types.go:1007, server/routes.go:2513"},
		{"POST", "/api/generate", `{"model":"llama3.2","prompt":"x","format":"xml"}`, 500, jsonCT, `{"error":"invalid format: \"\\\"xml\\\"\"; expected \"json\" or a valid JSON Schema object"}`, "llm/server.go:1549, server/routes.go:643"},
		{"POST", "/api/generate", `{"model":"llama3.2","prompt":"one two three four five","truncate":false,"options":{"num_ctx":3}}`, 400, jsonCT, `{"error":"the input length exceeds the context length"}`, "runner/ollamarunner/runner.go:130, 912"},
		{"POST", "/api/chat", `{"messages":[]}`, 400, jsonCT, `{"error":"model is required"}`, "server/routes.go:2002"},
		{"POST", "/api/chat", `{"model":"gpt-17","messages":[]}`, 404, jsonCT, `{"error":"model 'gpt-17' not found"}`, "server/routes.go:2023"},
		{"POST", "/api/chat", `{"model":"nomic-embed-text:latest","messages":[]}`, 400, jsonCT, `{"error":"\"nomic-embed-text:latest\" does not support chat"}`, "server/routes.go:2169"},
		{"POST", "/api/chat", `{"model":"llava","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{}}}}]}`, 400, jsonCT, `{"error":"registry.ollama.ai/library/llava:latest does not support tools"}`, "server/routes.go:2145, 149"},
		{"POST", "/api/chat", `{"model":"llama3.2","messages":[{"role":"user","content":"x"}],"think":"high"}`, 400, jsonCT, `{"error":"\"llama3.2\" does not support thinking"}`, "server/routes.go:2157-2161 (a level is true: the capability comes first)"},
		{"POST", "/api/chat", `{"model":"qwen3","messages":[{"role":"user","content":"x"}],"think":"high"}`, 400, jsonCT, `{"error":"think value \"high\" is not supported for this model"}`, "server/routes.go:2237-2240, once loaded"},
		{"POST", "/api/chat", `{"model":"qwen2.5","messages":[{"role":"user","content":"x"}],"think":true}`, 400, jsonCT, `{"error":"\"qwen2.5\" does not support thinking"}`, "server/routes.go:2161"},
		{"POST", "/api/chat", `{"model":"LLAMA3.2","keep_alive":0}`, 200, jsonCT, `{"model":"LLAMA3.2","created_at":"2026-11-22T00:00:00Z","message":{"role":"assistant","content":""},"done":true,"done_reason":"unload"}`, "server/routes.go:2037-2048, 992-1013 (names compared case-insensitively)"},
		{"POST", "/api/show", `{}`, 400, jsonCT, `{"error":"model is required"}`, "server/routes.go:1077"},
		{"POST", "/api/show", `{"name":"gpt-17"}`, 404, jsonCT, `{"error":"model 'gpt-17' not found"}`, "server/routes.go:1086"},
		{"POST", "/api/embed", `{"input":"x"}`, 400, jsonCT, `{"error":"model is required"}`, "server/routes.go:137, 2504"},
		{"POST", "/api/embed", `{"model":"gpt-17","input":"x"}`, 404, jsonCT, `{"error":"model \"gpt-17\" not found, try pulling it first"}`, "server/routes.go:2511"},
		{"POST", "/api/embed", `{"model":"nomic-embed-text","input":["a",1]}`, 400, jsonCT, `{"error":"invalid input type"}`, "server/routes.go:688"},
		{"POST", "/api/embed", `{"model":"nomic-embed-text","input":{"a":1}}`, 400, jsonCT, `{"error":"invalid input type"}`, "server/routes.go:695"},
		{"POST", "/api/embeddings", `{"prompt":"x"}`, 400, jsonCT, `{"error":"model is required"}`, "server/routes.go:849"},
		{"POST", "/api/embeddings", `{"model":"gpt-17","prompt":"x"}`, 404, jsonCT, `{"error":"model \"gpt-17\" not found, try pulling it first"}`, "server/routes.go:2511"},
		{"POST", "/api/pull", `{}`, 400, jsonCT, `{"error":"invalid model name"}`, "server/routes.go:896"},
		{"POST", "/api/pull", `{"model":"gpt-17"}`, 200, "application/x-ndjson", `{"status":"pulling manifest"}` + "\n" + `{"error":"pull model manifest: file does not exist"}`, "server/routes.go:919, 1830; server/images.go:575"},
		{"POST", "/api/pull", `{"model":"gpt-17","stream":false}`, 500, jsonCT, `{"error":"pull model manifest: file does not exist"}`, "server/routes.go:1790-1796 (waitForStream)"},
		{"POST", "/api/push", `{}`, 400, jsonCT, `{"error":"model is required"}`, "server/routes.go:951"},
		{"POST", "/api/copy", `{"source":"","destination":"x"}`, 400, jsonCT, `{"error":"source \"\" is invalid"}`, "server/routes.go:1380"},
		{"POST", "/api/copy", `{"source":"gpt-17","destination":"x"}`, 404, jsonCT, `{"error":"model \"gpt-17\" not found"}`, "server/routes.go:1401"},
		{"POST", "/api/copy", `{"source":"llama3.2","destination":"mine"}`, 200, "", "", "server/routes.go:1400 (no body on success)"},
		{"DELETE", "/api/delete", `{"model":"gpt-17"}`, 404, jsonCT, `{"error":"model 'gpt-17' not found"}`, "server/routes.go:1034"},
		{"DELETE", "/api/delete", `{"model":""}`, 400, jsonCT, `{"error":"name \"\" is invalid"}`, "server/routes.go:1028"},
		{"DELETE", "/api/delete", `{"model":"mine"}`, 200, "", "", "server/routes.go:1040-1055 (no body on success)"},
		{"POST", "/api/create", `{"model":"x"}`, 400, jsonCT, `{"error":"neither 'from' or 'files' was specified"}`, "server/create.go:42"},
		{"HEAD", "/api/blobs/sha256:12", "", 400, jsonCT, `{"error":"invalid digest format"}`, "server/routes.go:1410, manifest/paths.go:15"},
		{"HEAD", "/api/blobs/sha256:" + strings.Repeat("a", 64), "", 404, jsonCT, `{"error":"blob \"sha256:` + strings.Repeat("a", 64) + `\" not found"}`, "server/routes.go:1415"},
		{"POST", "/api/blobs/sha256:" + strings.Repeat("a", 64), "x", 400, jsonCT, `{"error":"digest mismatch, expected \"sha256:` + strings.Repeat("a", 64) + `\", got \"sha256:2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881\""}`, "server/routes.go:1467"},
		{"POST", "/api/blobs/sha256:2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881", "x", 201, "", "", "server/routes.go:1471"},
		{"POST", "/api/me", "", 401, jsonCT, `{"error":"unauthorized"}`, "server/routes.go:1890"},

		// Empty requests load the model and answer at once, as Ollama does.
		{"POST", "/api/embed", `{"model":"nomic-embed-text","input":""}`, 200, jsonCT, `{"model":"nomic-embed-text","embeddings":[]}`, "server/routes.go:714"},
		{"POST", "/api/embeddings", `{"model":"nomic-embed-text"}`, 200, jsonCT, `{"embedding":[]}`, "server/routes.go:861"},
		{"POST", "/api/pull", `{"model":"library/LLAMA3.2","stream":false}`, 200, jsonCT, `{"status":"success"}`, "server/routes.go:1804, types/model/name.go:140"},
		{"POST", "/api/generate", `{"model":"registry.ollama.ai/library/llama3.2:latest"}`, 200, jsonCT, `{"model":"registry.ollama.ai/library/llama3.2:latest","created_at":"2026-11-22T00:00:00Z","response":"","done":true,"done_reason":"load"}`, "server/routes.go:409-417"},
	}
	s, err := ollama.New(ollama.Config{Seed: 1, Now: func() time.Time { return time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests { // in order: the copy, then the delete of the copy
		w := httptest.NewRecorder()
		var body io.Reader = http.NoBody
		if tt.body != "" {
			body = strings.NewReader(tt.body)
		}
		s.Handler().ServeHTTP(w, httptest.NewRequest(tt.method, tt.path, body))
		if got := strings.TrimSuffix(w.Body.String(), "\n"); w.Code != tt.wantCode || w.Header().Get("Content-Type") != tt.wantCT || got != tt.wantBody {
			t.Errorf("%s %s %s = %d %q %s; want %d %q %s (as %s)", tt.method, tt.path, tt.body, w.Code, w.Header().Get("Content-Type"), got, tt.wantCode, tt.wantCT, tt.wantBody, tt.source)
		}
	}
}

// TestProtocolHeaders: the headers of Ollama's router that the table above does not show: Allow on
// a 405 (gin.go:663, in the order of gin's method trees), Location on a redirect (gin.go:735), and
// CORS (gin-contrib/cors config.go:70-99 with Ollama's origins, envconfig/config.go:63-86).
func TestProtocolHeaders(t *testing.T) {
	t.Parallel()
	s, err := ollama.New(ollama.Config{})
	if err != nil {
		t.Fatal(err)
	}
	do := func(method, path, origin string) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		r := httptest.NewRequest(method, path, http.NoBody)
		if origin != "" {
			r.Header.Set("Origin", origin)
			r.Header.Set("Access-Control-Request-Method", "POST")
		}
		s.Handler().ServeHTTP(w, r)
		return w
	}
	for _, tt := range []struct{ method, path, allow string }{
		{"GET", "/api/chat", "POST"},
		{"PUT", "/api/tags", "HEAD, GET"},
		{"GET", "/api/blobs/sha256:x", "HEAD, POST"},
		{"POST", "/api/experimental/aliases/", ""}, // a redirect, not a 405
	} {
		if w := do(tt.method, tt.path, ""); w.Header().Get("Allow") != tt.allow {
			t.Errorf("%s %s: Allow = %q (%d); want %q", tt.method, tt.path, w.Header().Get("Allow"), w.Code, tt.allow)
		}
	}
	if w := do("POST", "/api/chat/?x=1", ""); w.Code != 307 || w.Header().Get("Location") != "/api/chat?x=1" {
		t.Errorf("POST /api/chat/ = %d Location %q; want 307 to /api/chat?x=1", w.Code, w.Header().Get("Location"))
	}
	w := do("OPTIONS", "/api/chat", "http://localhost:3000")
	if w.Code != 204 || w.Header().Get("Access-Control-Allow-Origin") != "http://localhost:3000" || !strings.Contains(w.Header().Get("Access-Control-Allow-Headers"), "X-Stainless-Retry-Count") ||
		w.Header().Get("Access-Control-Allow-Methods") != "GET,POST,PUT,PATCH,DELETE,HEAD,OPTIONS" || w.Header().Get("Access-Control-Max-Age") != "43200" {
		t.Errorf("preflight from localhost = %d %v; want 204 with the CORS headers", w.Code, w.Header())
	}
	if w := do("OPTIONS", "/api/chat", "https://evil.example"); w.Code != 403 || w.Body.Len() != 0 {
		t.Errorf("preflight from another origin = %d %q; want 403 and no body", w.Code, w.Body.String())
	}
	if w := do("GET", "/api/tags", "vscode-webview://abc"); w.Code != 200 || w.Header().Get("Access-Control-Allow-Origin") != "vscode-webview://abc" {
		t.Errorf("GET from vscode-webview = %d %v; want 200 with the origin allowed", w.Code, w.Header())
	}
}

// TestLargeBodyAccepted: Ollama sets no limit on a request's size (gin's ShouldBindJSON reads it
// all); a 33 MiB prompt is answered.
func TestLargeBodyAccepted(t *testing.T) {
	t.Parallel()
	s, err := ollama.New(ollama.Config{Tokens: 3})
	if err != nil {
		t.Fatal(err)
	}
	body := `{"model":"llama3.2","stream":false,"prompt":"` + strings.Repeat("word ", 33<<20/5) + `"}`
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, httptest.NewRequest("POST", "/api/generate", strings.NewReader(body)))
	var g api.GenerateResponse
	if err := json.Unmarshal(w.Body.Bytes(), &g); err != nil || w.Code != 200 || !g.Done || g.PromptEvalCount != 4096 {
		t.Errorf("a 33 MiB prompt = %d, prompt_eval_count %d, %v; want 200, truncated to the 4096-token context", w.Code, g.PromptEvalCount, err)
	}
}

// TestLoadAnswers: a generate without a prompt and a chat without messages load the model and
// answer done with done_reason "load", through the official client.
func TestLoadAnswers(t *testing.T) {
	t.Parallel()
	_, c := start(t, ollama.Config{})
	var g api.GenerateResponse
	if err := c.Generate(context.Background(), &api.GenerateRequest{Model: "llama3.2"}, func(r api.GenerateResponse) error { g = r; return nil }); err != nil || !g.Done || g.DoneReason != "load" {
		t.Errorf("Generate without a prompt = %+v, %v; want done, done_reason load", g, err)
	}
	var ch api.ChatResponse
	if err := c.Chat(context.Background(), &api.ChatRequest{Model: "llama3.2"}, func(r api.ChatResponse) error { ch = r; return nil }); err != nil || !ch.Done || ch.DoneReason != "load" {
		t.Errorf("Chat without messages = %+v, %v; want done, done_reason load", ch, err)
	}
}

// TestErrorsThroughOfficialClient: the client turns the mock's error answers into StatusErrors.
func TestErrorsThroughOfficialClient(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, c := start(t, ollama.Config{})
	_, err := c.Show(ctx, &api.ShowRequest{Model: "gpt-17"})
	var se api.StatusError
	if !errors.As(err, &se) || se.StatusCode != 404 || se.ErrorMessage != "model 'gpt-17' not found" {
		t.Errorf("Show(gpt-17) = %#v; want a 404 StatusError naming the model", err)
	}
	err = c.Generate(ctx, &api.GenerateRequest{Model: "nope", Prompt: "x"}, func(api.GenerateResponse) error { return nil })
	if !errors.As(err, &se) || se.StatusCode != 404 {
		t.Errorf("Generate(nope) = %#v; want a 404 StatusError", err)
	}
	err = c.Chat(ctx, &api.ChatRequest{Messages: []api.Message{{Role: "user", Content: "x"}}}, func(api.ChatResponse) error { return nil })
	if !errors.As(err, &se) || se.StatusCode != 400 || se.ErrorMessage != "model is required" {
		t.Errorf("Chat(no model) = %#v; want 400 model is required", err)
	}
	_, err = c.Embed(ctx, &api.EmbedRequest{Model: "gpt-17", Input: "x"})
	if !errors.As(err, &se) || se.StatusCode != 404 {
		t.Errorf("Embed(gpt-17) = %#v; want a 404 StatusError", err)
	}
}

func TestModelsConfigured(t *testing.T) {
	t.Parallel()
	models, err := ollama.ParseModels("tinyllama, my-embedder ,llama3.2:1b,nomic-embed-text")
	if err != nil {
		t.Fatal(err)
	}
	_, c := start(t, ollama.Config{Models: models})
	list, err := c.List(context.Background())
	var names []string
	for _, m := range list.Models {
		names = append(names, m.Name)
	}
	if got := strings.Join(names, ","); err != nil || got != "tinyllama:latest,my-embedder:latest,llama3.2:1b,nomic-embed-text:latest" {
		t.Errorf("List = %s, %v; want the four configured models, tagged", got, err)
	}
	emb, err := c.Embed(context.Background(), &api.EmbedRequest{Model: "my-embedder", Input: "x"})
	if err != nil || len(emb.Embeddings) != 1 || len(emb.Embeddings[0]) != 768 {
		t.Errorf("Embed(my-embedder) = %+v, %v; want one 768-dimensional vector", emb, err)
	}
	if err := c.Generate(context.Background(), &api.GenerateRequest{Model: "llama3.2:1b", Prompt: "x"}, func(api.GenerateResponse) error { return nil }); err != nil {
		t.Errorf("Generate(llama3.2:1b) = %v; want it served", err)
	}
	for _, bad := range []string{"a,,b", "a,a", "a b"} {
		if _, err := ollama.ParseModels(bad); err == nil {
			t.Errorf("ParseModels(%q) = nil error; want it refused", bad)
		}
	}
}
