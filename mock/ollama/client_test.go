package ollama_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ollama/ollama/api"
	"go.uber.org/goleak"

	"github.com/shakedown-dev/shakedown/mock/ollama"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// start returns a mock and the official client pointed at it; both are closed with the test.
func start(t *testing.T, cfg ollama.Config) (*ollama.Server, *api.Client) {
	t.Helper()
	s := ollama.NewServer(cfg)
	hc := &http.Client{Transport: &http.Transport{}}
	t.Cleanup(func() {
		hc.CloseIdleConnections()
		s.Close()
	})
	u, err := url.Parse(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	return s, api.NewClient(u, hc)
}

func no() *bool { f := false; return &f }

// TestOfficialClient is the proof of wire compatibility: the official Go client, unchanged, against
// the mock.
func TestOfficialClient(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, c := start(t, ollama.Config{Seed: 1})

	if err := c.Heartbeat(ctx); err != nil {
		t.Errorf("Heartbeat: %v", err)
	}
	if v, err := c.Version(ctx); err != nil || v != ollama.Version {
		t.Errorf("Version = %q, %v; want %q", v, err, ollama.Version)
	}
	list, err := c.List(ctx)
	if err != nil || len(list.Models) != len(ollama.DefaultModels) || list.Models[0].Name != "llama3.2:latest" || list.Models[0].Details.Family != "llama" {
		t.Errorf("List = %+v, %v; want the %d default models", list, err, len(ollama.DefaultModels))
	}
	ps, err := c.ListRunning(ctx)
	if err != nil || len(ps.Models) != 0 {
		t.Errorf("ListRunning before any request = %+v, %v; want no model loaded", ps, err)
	}
	show, err := c.Show(ctx, &api.ShowRequest{Model: "nomic-embed-text"})
	if err != nil || show.Details.Family != "nomic-bert" || len(show.Capabilities) != 1 || show.Capabilities[0] != "embedding" {
		t.Errorf("Show = %+v, %v", show, err)
	}

	// Generate, streamed: the chunks add up to the same text as the non-streamed answer.
	var streamed strings.Builder
	var last api.GenerateResponse
	chunks := 0
	err = c.Generate(ctx, &api.GenerateRequest{Model: "llama3.2", Prompt: "Why is the sky blue?"}, func(r api.GenerateResponse) error {
		streamed.WriteString(r.Response)
		last = r
		chunks++
		return nil
	})
	if err != nil || !last.Done || last.DoneReason != "stop" || last.EvalCount != chunks-1 || last.PromptEvalCount != 5 {
		t.Fatalf("Generate (stream): %d chunks, last %+v, %v; want done with eval_count = chunks-1, prompt_eval_count 5", chunks, last, err)
	}
	var whole api.GenerateResponse
	err = c.Generate(ctx, &api.GenerateRequest{Model: "llama3.2", Prompt: "Why is the sky blue?", Stream: no()}, func(r api.GenerateResponse) error {
		whole = r
		return nil
	})
	if err != nil || whole.Response != streamed.String() || whole.EvalCount != last.EvalCount || len(whole.Context) != whole.EvalCount {
		t.Errorf("Generate (no stream) = %q (%d tokens), %v; want the streamed %q", whole.Response, whole.EvalCount, err, streamed.String())
	}

	// Chat, streamed and not.
	msgs := []api.Message{{Role: "system", Content: "Be brief."}, {Role: "user", Content: "Hello there"}}
	var chatText strings.Builder
	var chatLast api.ChatResponse
	if err := c.Chat(ctx, &api.ChatRequest{Model: "qwen2.5", Messages: msgs}, func(r api.ChatResponse) error {
		chatText.WriteString(r.Message.Content)
		chatLast = r
		return nil
	}); err != nil || !chatLast.Done || chatLast.Message.Role != "assistant" {
		t.Errorf("Chat (stream): last %+v, %v", chatLast, err)
	}
	var chatWhole api.ChatResponse
	if err := c.Chat(ctx, &api.ChatRequest{Model: "qwen2.5", Messages: msgs, Stream: no()}, func(r api.ChatResponse) error {
		chatWhole = r
		return nil
	}); err != nil || chatWhole.Message.Content != chatText.String() {
		t.Errorf("Chat (no stream) = %q, %v; want %q", chatWhole.Message.Content, err, chatText.String())
	}

	// Embeddings: the new API and the old one agree in direction and size.
	emb, err := c.Embed(ctx, &api.EmbedRequest{Model: "nomic-embed-text", Input: []string{"a", "b"}})
	if err != nil || len(emb.Embeddings) != 2 || len(emb.Embeddings[0]) != 768 {
		t.Fatalf("Embed = %d vectors, %v; want 2 of 768", len(emb.Embeddings), err)
	}
	old, err := c.Embeddings(ctx, &api.EmbeddingRequest{Model: "nomic-embed-text", Prompt: "a"})
	if err != nil || len(old.Embedding) != 768 || float32(old.Embedding[0]) != emb.Embeddings[0][0] {
		t.Errorf("Embeddings = %d values, %v; want the same vector as Embed's first", len(old.Embedding), err)
	}

	var statuses []string
	if err := c.Pull(ctx, &api.PullRequest{Model: "llama3.2"}, func(p api.ProgressResponse) error {
		statuses = append(statuses, p.Status)
		return nil
	}); err != nil || statuses[0] != "pulling manifest" || statuses[len(statuses)-1] != "success" {
		t.Errorf("Pull = %v, %v", statuses, err)
	}
}

// TestTimingFieldsAgree: with a time to first token and a token rate, the official client reads
// durations that agree with the configuration and the tokens it received (the waits themselves
// are checked on a fake clock in timing_test.go).
func TestTimingFieldsAgree(t *testing.T) {
	t.Parallel()
	_, c := start(t, ollama.Config{TimeToFirstToken: 4 * time.Millisecond, TokenInterval: time.Millisecond, Tokens: 5})
	var last api.ChatResponse
	chunks := 0
	err := c.Chat(context.Background(), &api.ChatRequest{Model: "llama3.2", Messages: []api.Message{{Role: "user", Content: "hi there"}}}, func(r api.ChatResponse) error {
		last = r
		chunks++
		return nil
	})
	if err != nil || chunks != 6 || last.EvalCount != 5 || last.PromptEvalCount != 3 || last.PromptEvalDuration != 4*time.Millisecond ||
		last.EvalDuration != 4*time.Millisecond || last.LoadDuration <= 0 || last.TotalDuration != last.LoadDuration+8*time.Millisecond {
		t.Fatalf("Chat: %d chunks, metrics %+v, %v; want 6 chunks, 5 tokens, 3 prompt tokens, 4ms prompt eval, 4ms eval, a load duration, and 8ms more in total", chunks, last.Metrics, err)
	}
}
