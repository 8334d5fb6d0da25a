package ollama_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ollama/ollama/api"

	"github.com/shakedown-dev/shakedown/mock/ollama"
)

// TestAnswersLikeOllama: the codes, content types and texts of Ollama 0.17.4's answers to bad,
// empty and unknown requests (read from its server/routes.go), endpoint by endpoint.
func TestAnswersLikeOllama(t *testing.T) {
	t.Parallel()
	s, err := ollama.New(ollama.Config{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	const jsonCT = "application/json; charset=utf-8"
	tests := []struct {
		method, path, body string
		wantCode           int
		wantCT             string
		wantBody           string // exact, without the trailing newline
	}{
		{"GET", "/", "", 200, "text/plain; charset=utf-8", "Ollama is running"},
		{"HEAD", "/", "", 200, "text/plain; charset=utf-8", "Ollama is running"}, // a real server sends no body; the recorder keeps it
		{"GET", "/api/version", "", 200, jsonCT, `{"version":"0.17.4"}`},
		{"GET", "/api/nothing", "", 404, "text/plain", "404 page not found"},
		{"GET", "/api/generate", "", 404, "text/plain", "404 page not found"},

		{"POST", "/api/generate", "", 400, jsonCT, `{"error":"missing request body"}`},
		{"POST", "/api/generate", "{", 400, jsonCT, `{"error":"unexpected EOF"}`},
		{"POST", "/api/generate", `{"model":1}`, 400, jsonCT, `{"error":"json: cannot unmarshal number into Go struct field generateRequest.model of type string"}`},
		{"POST", "/api/generate", `{"prompt":"x"}`, 404, jsonCT, `{"error":"model '' not found"}`},
		{"POST", "/api/generate", `{"model":"gpt-17","prompt":"x"}`, 404, jsonCT, `{"error":"model 'gpt-17' not found"}`},
		{"POST", "/api/generate", `{"model":"nomic-embed-text","prompt":"x"}`, 400, jsonCT, `{"error":"\"nomic-embed-text\" does not support generate"}`},
		{"POST", "/api/chat", `{"messages":[]}`, 400, jsonCT, `{"error":"model is required"}`},
		{"POST", "/api/chat", `{"model":"gpt-17","messages":[]}`, 404, jsonCT, `{"error":"model 'gpt-17' not found"}`},
		{"POST", "/api/chat", `{"model":"nomic-embed-text:latest","messages":[]}`, 400, jsonCT, `{"error":"\"nomic-embed-text:latest\" does not support chat"}`},
		{"POST", "/api/show", `{}`, 400, jsonCT, `{"error":"model is required"}`},
		{"POST", "/api/show", `{"name":"gpt-17"}`, 404, jsonCT, `{"error":"model 'gpt-17' not found"}`},
		{"POST", "/api/embed", `{"input":"x"}`, 400, jsonCT, `{"error":"model is required"}`},
		{"POST", "/api/embed", `{"model":"gpt-17","input":"x"}`, 404, jsonCT, `{"error":"model \"gpt-17\" not found, try pulling it first"}`},
		{"POST", "/api/embed", `{"model":"nomic-embed-text","input":["a",1]}`, 400, jsonCT, `{"error":"invalid input type"}`},
		{"POST", "/api/embed", `{"model":"nomic-embed-text","input":{"a":1}}`, 400, jsonCT, `{"error":"invalid input type"}`},
		{"POST", "/api/embeddings", `{"prompt":"x"}`, 400, jsonCT, `{"error":"model is required"}`},
		{"POST", "/api/embeddings", `{"model":"gpt-17","prompt":"x"}`, 404, jsonCT, `{"error":"model \"gpt-17\" not found, try pulling it first"}`},
		{"POST", "/api/pull", `{}`, 400, jsonCT, `{"error":"invalid model name"}`},
		{"POST", "/api/pull", `{"model":"gpt-17"}`, 500, jsonCT, `{"error":"pull model manifest: file does not exist"}`},

		// Empty requests load the model and answer at once, as Ollama does.
		{"POST", "/api/embed", `{"model":"nomic-embed-text","input":""}`, 200, jsonCT, `{"model":"nomic-embed-text","embeddings":[]}`},
		{"POST", "/api/embeddings", `{"model":"nomic-embed-text"}`, 200, jsonCT, `{"embedding":[]}`},
		{"POST", "/api/pull", `{"model":"llama3.2","stream":false}`, 200, jsonCT, `{"status":"success"}`},
	}
	for _, tt := range tests {
		w := httptest.NewRecorder()
		var body io.Reader = http.NoBody
		if tt.body != "" {
			body = strings.NewReader(tt.body)
		}
		s.Handler().ServeHTTP(w, httptest.NewRequest(tt.method, tt.path, body))
		if got := strings.TrimSuffix(w.Body.String(), "\n"); w.Code != tt.wantCode || w.Header().Get("Content-Type") != tt.wantCT || got != tt.wantBody {
			t.Errorf("%s %s %s = %d %q %s; want %d %q %s", tt.method, tt.path, tt.body, w.Code, w.Header().Get("Content-Type"), got, tt.wantCode, tt.wantCT, tt.wantBody)
		}
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
