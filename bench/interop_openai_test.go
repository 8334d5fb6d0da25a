package bench

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	oa "github.com/openai/openai-go/v3"
	oaoption "github.com/openai/openai-go/v3/option"
	goopenai "github.com/sashabaranov/go-openai"

	"github.com/shakedown-dev/shakedown/faults/httpfault"
	"github.com/shakedown-dev/shakedown/mock/ollama"
	"github.com/shakedown-dev/shakedown/units"
)

// mockV1 starts the mock Ollama and returns it with its OpenAI-compatible base URL.
func mockV1(t *testing.T) (*ollama.Server, string) {
	t.Helper()
	srv := ollama.NewServer(ollama.Config{Seed: 7})
	t.Cleanup(srv.Close)
	return srv, srv.URL + "/v1"
}

// TestInteropOpenAIClients: sashabaranov/go-openai and openai/openai-go, pointed at the mock's
// /v1 as at Ollama's, chat (streamed and not), complete, embed and list models; the same seed
// and prompt give the same text through both, and an unknown model is each client's 404 error.
func TestInteropOpenAIClients(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, base := mockV1(t)
	model := ollama.DefaultModels[0].Name

	cfg := goopenai.DefaultConfig("ollama")
	cfg.BaseURL = base
	gc := goopenai.NewClientWithConfig(cfg)
	oc := oa.NewClient(oaoption.WithBaseURL(base+"/"), oaoption.WithAPIKey("ollama"), oaoption.WithMaxRetries(0))

	msgs := []goopenai.ChatCompletionMessage{{Role: goopenai.ChatMessageRoleUser, Content: "Where is my order?"}}
	resp, err := gc.CreateChatCompletion(ctx, goopenai.ChatCompletionRequest{Model: model, Messages: msgs})
	if err != nil || len(resp.Choices) != 1 || resp.Choices[0].Message.Content == "" || resp.Choices[0].FinishReason != goopenai.FinishReasonStop ||
		resp.Usage.CompletionTokens == 0 || !strings.HasPrefix(resp.ID, "chatcmpl-") || resp.Object != "chat.completion" {
		t.Fatalf("go-openai chat = %+v, %v; want one stopped answer with its usage", resp, err)
	}
	text := resp.Choices[0].Message.Content

	st, err := gc.CreateChatCompletionStream(ctx, goopenai.ChatCompletionRequest{Model: model, Messages: msgs, Stream: true,
		StreamOptions: &goopenai.StreamOptions{IncludeUsage: true}})
	if err != nil {
		t.Fatal(err)
	}
	var streamed strings.Builder
	usage := 0
	for {
		c, err := st.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("go-openai stream: %v", err)
		}
		if len(c.Choices) > 0 {
			streamed.WriteString(c.Choices[0].Delta.Content)
		}
		if c.Usage != nil {
			usage = c.Usage.CompletionTokens
		}
	}
	st.Close()
	if streamed.String() != text || usage == 0 {
		t.Errorf("go-openai stream = %q (usage %d); want the same text as the whole answer, %q, and a usage chunk", streamed.String(), usage, text)
	}

	oresp, err := oc.Chat.Completions.New(ctx, oa.ChatCompletionNewParams{Model: model, Messages: []oa.ChatCompletionMessageParamUnion{oa.UserMessage("Where is my order?")}})
	if err != nil || len(oresp.Choices) != 1 || oresp.Choices[0].Message.Content != text {
		t.Fatalf("openai-go chat = %+v, %v; want %q, as go-openai got", oresp, err, text)
	}
	ostream := oc.Chat.Completions.NewStreaming(ctx, oa.ChatCompletionNewParams{Model: model, Messages: []oa.ChatCompletionMessageParamUnion{oa.UserMessage("Where is my order?")}})
	acc := oa.ChatCompletionAccumulator{}
	for ostream.Next() {
		acc.AddChunk(ostream.Current())
	}
	if err := ostream.Err(); err != nil || len(acc.Choices) != 1 || acc.Choices[0].Message.Content != text {
		t.Errorf("openai-go stream = %+v, %v; want %q", acc.Choices, err, text)
	}

	comp, err := gc.CreateCompletion(ctx, goopenai.CompletionRequest{Model: model, Prompt: "Once upon a time", MaxTokens: 5})
	if err != nil || len(comp.Choices) != 1 || comp.Choices[0].Text == "" || comp.Choices[0].FinishReason != "length" {
		t.Errorf("go-openai completion = %+v, %v; want a text cut at 5 tokens (finish_reason length)", comp, err)
	}

	var embedModel string
	for _, m := range ollama.DefaultModels {
		if m.Embedding {
			embedModel = m.Name
		}
	}
	emb, err := oc.Embeddings.New(ctx, oa.EmbeddingNewParams{Model: embedModel, Input: oa.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{"a", "b"}}})
	if err != nil || len(emb.Data) != 2 || len(emb.Data[0].Embedding) == 0 {
		t.Errorf("openai-go embeddings = %+v, %v; want two vectors", emb, err)
	}

	models, err := gc.ListModels(ctx)
	if err != nil || len(models.Models) != len(ollama.DefaultModels) {
		t.Errorf("go-openai models = %+v, %v; want the mock's %d", models, err, len(ollama.DefaultModels))
	}
	one, err := oc.Models.Get(ctx, model)
	if err != nil || one.ID != model || one.Object != "model" {
		t.Errorf("openai-go model %s = %+v, %v", model, one, err)
	}

	_, err = gc.CreateChatCompletion(ctx, goopenai.ChatCompletionRequest{Model: "nope", Messages: msgs})
	var ge *goopenai.APIError
	if !errors.As(err, &ge) || ge.HTTPStatusCode != http.StatusNotFound || ge.Message != "model 'nope' not found" {
		t.Errorf("go-openai, an unknown model: %v; want its APIError 404 with Ollama's message", err)
	}
	_, err = oc.Chat.Completions.New(ctx, oa.ChatCompletionNewParams{Model: "nope", Messages: []oa.ChatCompletionMessageParamUnion{oa.UserMessage("hi")}})
	var oe *oa.Error
	if !errors.As(err, &oe) || oe.StatusCode != http.StatusNotFound {
		t.Errorf("openai-go, an unknown model: %v; want its Error with status 404", err)
	}
}

// TestInteropOpenAIFaults: the HTTP faults act on /v1 as on the native API: a 503 storm on
// /v1/chat/completions is each client's 503 error, and the paths outside it answer.
func TestInteropOpenAIFaults(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv, base := mockV1(t)
	model := ollama.DefaultModels[0].Name
	if err := srv.Faults().Set(httpfault.Fault{Name: "storm", Probability: units.Probability(1), Action: httpfault.Action{Kind: httpfault.KindError, Status: 503, PathPrefix: "/v1/chat/completions"}}); err != nil {
		t.Fatal(err)
	}
	cfg := goopenai.DefaultConfig("ollama")
	cfg.BaseURL = base
	gc := goopenai.NewClientWithConfig(cfg)
	msgs := []goopenai.ChatCompletionMessage{{Role: goopenai.ChatMessageRoleUser, Content: "hi"}}
	_, err := gc.CreateChatCompletion(ctx, goopenai.ChatCompletionRequest{Model: model, Messages: msgs})
	var re *goopenai.RequestError
	var ae *goopenai.APIError
	if !(errors.As(err, &re) && re.HTTPStatusCode == 503 || errors.As(err, &ae) && ae.HTTPStatusCode == 503) {
		t.Errorf("go-openai under a 503 storm: %v; want a 503", err)
	}
	oc := oa.NewClient(oaoption.WithBaseURL(base+"/"), oaoption.WithAPIKey("ollama"), oaoption.WithMaxRetries(0))
	_, err = oc.Chat.Completions.New(ctx, oa.ChatCompletionNewParams{Model: model, Messages: []oa.ChatCompletionMessageParamUnion{oa.UserMessage("hi")}})
	var oe *oa.Error
	if !errors.As(err, &oe) || oe.StatusCode != 503 {
		t.Errorf("openai-go under a 503 storm: %v; want a 503", err)
	}
	if _, err := gc.ListModels(ctx); err != nil {
		t.Errorf("models, outside the storm's path: %v", err)
	}
}
