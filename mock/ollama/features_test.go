package ollama_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ollama/ollama/api"

	"github.com/shakedown-dev/shakedown/faults/httpfault"
	"github.com/shakedown-dev/shakedown/mock/ollama"
	"github.com/shakedown-dev/shakedown/units"
)

// orderTool is a tool as an agent declares it.
func orderTool(t *testing.T) api.Tool {
	t.Helper()
	var tool api.Tool
	if err := json.Unmarshal([]byte(`{"type":"function","function":{"name":"get_order_status","description":"Look up an order",
		"parameters":{"type":"object","required":["order_id"],"properties":{"order_id":{"type":"string"},"count":{"type":"integer","minimum":1,"maximum":9},
		"express":{"type":"boolean"},"region":{"type":"string","enum":["eu","us"]}}}}}`), &tool); err != nil {
		t.Fatal(err)
	}
	return tool
}

// chatAll runs a chat through the official client and returns the final answer assembled from
// its chunks, with the number of chunks.
func chatAll(t *testing.T, c *api.Client, req *api.ChatRequest) (api.ChatResponse, int, error) {
	t.Helper()
	var out api.ChatResponse
	var content, thinking strings.Builder
	chunks := 0
	err := c.Chat(context.Background(), req, func(r api.ChatResponse) error {
		chunks++
		content.WriteString(r.Message.Content)
		thinking.WriteString(r.Message.Thinking)
		out.Message.ToolCalls = append(out.Message.ToolCalls, r.Message.ToolCalls...)
		out.Done, out.DoneReason, out.Metrics = r.Done, r.DoneReason, r.Metrics
		out.Logprobs = append(out.Logprobs, r.Logprobs...)
		return nil
	})
	out.Message.Content, out.Message.Thinking = content.String(), thinking.String()
	return out, chunks, err
}

// TestToolCallsRoundTrip: a model with tools calls one (streamed and not) with an id, index 0,
// the tool's name and arguments valid against its parameters, and empty content, as Ollama's
// ChatHandler sends them (server/routes.go:2400-2420); the tool's result sent back as a tool
// message is answered with it; a model without the tools capability is refused.
func TestToolCallsRoundTrip(t *testing.T) {
	t.Parallel()
	_, c := start(t, ollama.Config{Seed: 3})
	tool := orderTool(t)
	user := api.Message{Role: "user", Content: "Where is order 42?"}
	for _, stream := range []bool{true, false} {
		req := &api.ChatRequest{Model: "llama3.2", Messages: []api.Message{user}, Tools: api.Tools{tool}}
		if !stream {
			req.Stream = no()
		}
		got, chunks, err := chatAll(t, c, req)
		if err != nil || len(got.Message.ToolCalls) != 1 || got.Message.Content != "" || !got.Done || got.DoneReason != "stop" {
			t.Fatalf("stream %v: %+v, %v; want one tool call, no content, done", stream, got, err)
		}
		if stream && chunks != 2 {
			t.Errorf("streamed: %d chunks; want the tool call and done", chunks)
		}
		tc := got.Message.ToolCalls[0]
		id, idOK := strings.CutPrefix(tc.ID, "call_")
		if !idOK || len(id) != 8 || tc.Function.Index != 0 || tc.Function.Name != "get_order_status" {
			t.Errorf("tool call %+v; want id call_ and 8 characters, index 0, name get_order_status", tc)
		}
		args := tc.Function.Arguments.ToMap()
		if s, ok := args["order_id"].(string); !ok || s == "" {
			t.Errorf("arguments %v: the required order_id is missing or not a string", args)
		}
		if n, ok := args["count"]; ok && n.(float64) != float64(int(n.(float64))) { // its bounds: api.ToolProperty drops them, in the client too
			t.Errorf("arguments %v: count is not an integer", args)
		}
		if r, ok := args["region"]; ok && r != "eu" && r != "us" {
			t.Errorf("arguments %v: region is not in its enum", args)
		}
		for k := range args {
			if !slices.Contains([]string{"order_id", "count", "express", "region"}, k) {
				t.Errorf("arguments %v: %q is not a parameter", args, k)
			}
		}

		result := `{"status":"shipped","eta":"tomorrow"}`
		back := &api.ChatRequest{Model: "llama3.2", Tools: api.Tools{tool}, Stream: req.Stream, Messages: []api.Message{user,
			{Role: "assistant", ToolCalls: got.Message.ToolCalls}, {Role: "tool", ToolName: tc.Function.Name, Content: result}}}
		answer, _, err := chatAll(t, c, back)
		if err != nil || len(answer.Message.ToolCalls) != 0 || !strings.HasPrefix(answer.Message.Content, result+" ") {
			t.Errorf("stream %v: the answer to the tool's result = %+v, %v; want text that begins with the result", stream, answer.Message, err)
		}
	}
	_, _, err := chatAll(t, c, &api.ChatRequest{Model: "llava", Messages: []api.Message{user}, Tools: api.Tools{tool}})
	var se api.StatusError
	if !errors.As(err, &se) || se.StatusCode != 400 || se.ErrorMessage != "registry.ollama.ai/library/llava:latest does not support tools" {
		t.Errorf("tools on llava = %v; want Ollama's 400", err)
	}

	// Sent as JSON (as the OpenAI clients send a schema), the parameters keep keywords that
	// Ollama's api.ToolProperty drops, and the arguments honour them.
	s, _ := ollama.New(ollama.Config{Seed: 3})
	for i := range 20 {
		w := httptest.NewRecorder()
		s.Handler().ServeHTTP(w, httptest.NewRequest("POST", "/api/chat", strings.NewReader(fmt.Sprintf(`{"model":"llama3.2","stream":false,
			"messages":[{"role":"user","content":"order %d"}],"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object",
			"required":["n","s"],"properties":{"n":{"type":"integer","minimum":3,"maximum":5},"s":{"type":"string","maxLength":4}}}}}]}`, i))))
		var resp api.ChatResponse
		json.Unmarshal(w.Body.Bytes(), &resp)
		if len(resp.Message.ToolCalls) != 1 {
			t.Fatalf("raw tools: %s; want a tool call", w.Body)
		}
		args := resp.Message.ToolCalls[0].Function.Arguments.ToMap()
		if n, _ := args["n"].(float64); n < 3 || n > 5 || len(args["s"].(string)) > 4 {
			t.Errorf("arguments %v; want n from 3 to 5 and s of at most 4 characters", args)
		}
	}

	// SkipToolProbability 1: the model answers in text although it has tools.
	_, c2 := start(t, ollama.Config{Seed: 3, SkipToolProbability: 1})
	got, _, err := chatAll(t, c2, &api.ChatRequest{Model: "llama3.2", Messages: []api.Message{user}, Tools: api.Tools{tool}})
	if err != nil || len(got.Message.ToolCalls) != 0 || got.Message.Content == "" {
		t.Errorf("SkipToolProbability 1: %+v, %v; want text and no tool call", got.Message, err)
	}
}

// TestStructuredOutput: format "json" is a JSON object and a JSON Schema a document that has its
// required keys, types, enums and bounds (the bench module validates the same with a JSON
// Schema validator through the OpenAI clients); the streamed chunks add up to the same document.
func TestStructuredOutput(t *testing.T) {
	t.Parallel()
	_, c := start(t, ollama.Config{Seed: 5})
	schema := json.RawMessage(`{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer","minimum":18,"maximum":99},
		"tags":{"type":"array","items":{"type":"string","enum":["a","b"]},"minItems":2,"maxItems":2},"address":{"$ref":"#/$defs/addr"}},
		"required":["name","age","tags","address"],"$defs":{"addr":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}`)
	for _, stream := range []bool{true, false} {
		req := &api.ChatRequest{Model: "qwen2.5", Messages: []api.Message{{Role: "user", Content: "who?"}}, Format: schema}
		if !stream {
			req.Stream = no()
		}
		got, _, err := chatAll(t, c, req)
		var doc struct {
			Name    string   `json:"name"`
			Age     *int     `json:"age"`
			Tags    []string `json:"tags"`
			Address *struct {
				City *string `json:"city"`
			} `json:"address"`
		}
		if err != nil || json.Unmarshal([]byte(got.Message.Content), &doc) != nil || doc.Name == "" || doc.Age == nil || *doc.Age < 18 || *doc.Age > 99 ||
			len(doc.Tags) != 2 || !slices.Contains([]string{"a", "b"}, doc.Tags[0]) || doc.Address == nil || doc.Address.City == nil {
			t.Errorf("stream %v: content %q, %v; want a document valid against the schema", stream, got.Message.Content, err)
		}
	}
	var g api.GenerateResponse
	err := c.Generate(context.Background(), &api.GenerateRequest{Model: "llama3.2", Prompt: "x", Format: json.RawMessage(`"json"`), Stream: no()},
		func(r api.GenerateResponse) error { g = r; return nil })
	var obj map[string]any
	if err != nil || json.Unmarshal([]byte(g.Response), &obj) != nil {
		t.Errorf(`format "json" = %q, %v; want a JSON object`, g.Response, err)
	}
}

// TestThinking: a thinking model thinks by default and not with think false; a model without
// the capability refuses think true (server/routes.go:2150-2163).
func TestThinking(t *testing.T) {
	t.Parallel()
	_, c := start(t, ollama.Config{Seed: 2})
	msgs := []api.Message{{Role: "user", Content: "why?"}}
	got, _, err := chatAll(t, c, &api.ChatRequest{Model: "qwen3", Messages: msgs})
	if err != nil || got.Message.Thinking == "" || got.Message.Content == "" {
		t.Errorf("qwen3 = %+v, %v; want thinking and content", got.Message, err)
	}
	got, _, err = chatAll(t, c, &api.ChatRequest{Model: "qwen3", Messages: msgs, Think: &api.ThinkValue{Value: false}})
	if err != nil || got.Message.Thinking != "" || got.Message.Content == "" {
		t.Errorf("qwen3 with think false = %+v, %v; want content only", got.Message, err)
	}
	_, _, err = chatAll(t, c, &api.ChatRequest{Model: "llama3.2", Messages: msgs, Think: &api.ThinkValue{Value: true}})
	var se api.StatusError
	if !errors.As(err, &se) || se.StatusCode != 400 || se.ErrorMessage != `"llama3.2" does not support thinking` {
		t.Errorf("llama3.2 with think true = %v; want Ollama's 400", err)
	}
}

// TestOptions: stop ends the answer before the stop sequence; the same options.seed gives the
// same text and another seed another; num_ctx truncates the prompt (prompt_eval_count = num_ctx);
// logprobs come one per token with top_logprobs alternatives.
func TestOptions(t *testing.T) {
	t.Parallel()
	_, c := start(t, ollama.Config{Seed: 9, Tokens: 20})
	gen := func(opts map[string]any, prompt string, logprobs bool, top int) api.GenerateResponse {
		t.Helper()
		var g api.GenerateResponse
		if err := c.Generate(context.Background(), &api.GenerateRequest{Model: "llama3.2", Prompt: prompt, Stream: no(), Options: opts, Logprobs: logprobs, TopLogprobs: top},
			func(r api.GenerateResponse) error { g = r; return nil }); err != nil {
			t.Fatal(err)
		}
		return g
	}
	whole := gen(nil, "tell me", false, 0)
	words := strings.Fields(whole.Response)
	stop := " " + words[7] // a word inside the answer
	cut := gen(map[string]any{"stop": []string{stop}}, "tell me", false, 0)
	if cut.Response != whole.Response[:strings.Index(whole.Response, stop)] || cut.DoneReason != "stop" {
		t.Errorf("stop %q: %q (%s); want %q, stop", stop, cut.Response, cut.DoneReason, whole.Response[:strings.Index(whole.Response, stop)])
	}
	a, b, other := gen(map[string]any{"seed": 1}, "tell me", false, 0), gen(map[string]any{"seed": 1}, "tell me", false, 0), gen(map[string]any{"seed": 2}, "tell me", false, 0)
	if a.Response != b.Response || a.Response == other.Response {
		t.Errorf("seed 1 twice equal %v, seeds 1 and 2 equal %v; want true, false", a.Response == b.Response, a.Response == other.Response)
	}
	long := strings.Repeat("word ", 50)
	if g := gen(map[string]any{"num_ctx": 16}, long, false, 0); g.PromptEvalCount != 16 || !g.Done {
		t.Errorf("a 50-token prompt in a 16-token context: prompt_eval_count %d; want 16 (truncated as the runner does)", g.PromptEvalCount)
	}
	g := gen(nil, "tell me", true, 3)
	if len(g.Logprobs) != g.EvalCount || len(g.Logprobs[0].TopLogprobs) != 3 || g.Logprobs[0].Token == "" || g.Logprobs[0].Logprob > 0 {
		t.Errorf("logprobs: %d for %d tokens, first %+v; want one per token with 3 alternatives", len(g.Logprobs), g.EvalCount, g.Logprobs[0])
	}
}

// TestKeepAliveAndPS: /api/ps lists only loaded models: none before the first request, the model
// after it with expires_at its keep_alive from then, none after keep_alive 0 (done_reason
// "unload"); /api/show reports capabilities and the family's context length.
func TestKeepAliveAndPS(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, c := start(t, ollama.Config{})
	ps := func() []api.ProcessModelResponse {
		t.Helper()
		r, err := c.ListRunning(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return r.Models
	}
	if got := ps(); len(got) != 0 {
		t.Fatalf("ps before any request = %+v; want none", got)
	}
	before := time.Now()
	hour := &api.Duration{Duration: time.Hour}
	if err := c.Generate(ctx, &api.GenerateRequest{Model: "qwen2.5", Prompt: "x", Stream: no(), KeepAlive: hour}, func(api.GenerateResponse) error { return nil }); err != nil {
		t.Fatal(err)
	}
	got := ps()
	if len(got) != 1 || got[0].Name != "qwen2.5:latest" || got[0].ExpiresAt.Before(before.Add(time.Hour)) || got[0].ExpiresAt.After(time.Now().Add(time.Hour)) || got[0].ContextLength != 4096 {
		t.Fatalf("ps after a request with keep_alive 1h = %+v; want qwen2.5 expiring an hour after it", got)
	}
	var g api.GenerateResponse
	if err := c.Generate(ctx, &api.GenerateRequest{Model: "qwen2.5", KeepAlive: &api.Duration{}}, func(r api.GenerateResponse) error { g = r; return nil }); err != nil || g.DoneReason != "unload" {
		t.Fatalf("unload = %+v, %v; want done_reason unload", g, err)
	}
	if got := ps(); len(got) != 0 {
		t.Errorf("ps after unload = %+v; want none", got)
	}
	show, err := c.Show(ctx, &api.ShowRequest{Model: "qwen3"})
	if err != nil || fmt.Sprint(show.Capabilities) != "[completion tools thinking]" || show.ModelInfo["qwen3.context_length"] != float64(40960) {
		t.Errorf("show qwen3 = %v %v, %v; want [completion tools thinking] and context length 40960", show.Capabilities, show.ModelInfo, err)
	}
}

// TestQueueing, on a fake clock: a model serves NumParallel requests at a time and the others
// wait their turn (their waits in load_duration, as Ollama's); while a model loads, at most
// MaxQueue requests wait and the next is refused with Ollama's 503.
func TestQueueing(t *testing.T) {
	t.Parallel()
	post := func(h *ollama.Server, body string) (int, string, time.Duration) {
		w := httptest.NewRecorder()
		start := time.Now()
		h.Handler().ServeHTTP(w, httptest.NewRequest("POST", "/api/generate", strings.NewReader(body)))
		return w.Code, w.Body.String(), time.Since(start)
	}
	const gen = `{"model":"llama3.2","prompt":"hi","stream":false}`
	t.Run("parallel", func(t *testing.T) {
		t.Parallel()
		synctest.Test(t, func(t *testing.T) {
			s, _ := ollama.New(ollama.Config{NumParallel: 2, TimeToFirstToken: 100 * time.Millisecond, Tokens: 1})
			var wg sync.WaitGroup
			took := make([]time.Duration, 3)
			bodies := make([]string, 3)
			for i := range 3 {
				wg.Go(func() { _, bodies[i], took[i] = post(s, gen) })
				synctest.Wait() // arrive in order
			}
			wg.Wait()
			if fmt.Sprint(took) != "[100ms 100ms 200ms]" {
				t.Errorf("3 requests, 2 at a time, 100ms each: done after %v; want [100ms 100ms 200ms]", took)
			}
			var last api.GenerateResponse
			if json.Unmarshal([]byte(bodies[2]), &last); last.LoadDuration != 100*time.Millisecond || last.TotalDuration != 200*time.Millisecond {
				t.Errorf("the third: load_duration %v, total %v; want 100ms waiting, 200ms in all", last.LoadDuration, last.TotalDuration)
			}
		})
	})
	t.Run("default one at a time", func(t *testing.T) {
		t.Parallel()
		synctest.Test(t, func(t *testing.T) {
			s, _ := ollama.New(ollama.Config{TimeToFirstToken: 100 * time.Millisecond, Tokens: 1})
			var wg sync.WaitGroup
			took := make([]time.Duration, 2)
			for i := range 2 {
				wg.Go(func() { _, _, took[i] = post(s, gen) })
				synctest.Wait()
			}
			wg.Wait()
			if fmt.Sprint(took) != "[100ms 200ms]" {
				t.Errorf("2 requests at Ollama's default parallelism: done after %v; want [100ms 200ms]", took)
			}
		})
	})
	t.Run("queue full while loading", func(t *testing.T) {
		t.Parallel()
		synctest.Test(t, func(t *testing.T) {
			s, _ := ollama.New(ollama.Config{NumParallel: -1, MaxQueue: 2, LoadDuration: time.Second, Tokens: 1})
			var wg sync.WaitGroup
			codes := make([]int, 4)
			bodies := make([]string, 4)
			took := make([]time.Duration, 4)
			for i := range 4 {
				wg.Go(func() { codes[i], bodies[i], took[i] = post(s, gen) })
				synctest.Wait()
			}
			wg.Wait()
			if fmt.Sprint(codes) != "[200 200 503 503]" || fmt.Sprint(took) != "[1s 1s 0s 0s]" ||
				bodies[2] != `{"error":"server busy, please try again.  maximum pending requests exceeded"}`+"\n" {
				t.Errorf("4 requests while loading, queue of 2: %v after %v, third %q; want [200 200 503 503] after [1s 1s 0s 0s] and Ollama's text", codes, took, bodies[2])
			}
			if code, _, d := post(s, gen); code != 200 || d != 0 {
				t.Errorf("once loaded: %d after %v; want 200 at once", code, d)
			}
		})
	})
}

// TestStreamDiesMidway: the stream-error fault ends a streamed answer with Ollama's error line
// (HTTP 200, some tokens, then {"error": "an error was encountered while running the model:
// unexpected EOF"}, llm/server.go:1688, streamed by routes.go:1830); the official client
// returns it as an error after the tokens, without a done chunk.
func TestStreamDiesMidway(t *testing.T) {
	t.Parallel()
	s, c := start(t, ollama.Config{Tokens: 10})
	if err := s.Faults().Set(httpfault.Fault{Name: "dies", Probability: units.Probability(1),
		Action: httpfault.Action{Kind: httpfault.KindStreamError, AfterChunks: 3, PathPrefix: "/api/chat"}}); err != nil {
		t.Fatal(err)
	}
	got, chunks, err := chatAll(t, c, &api.ChatRequest{Model: "llama3.2", Messages: []api.Message{{Role: "user", Content: "hi"}}})
	if err == nil || err.Error() != "an error was encountered while running the model: unexpected EOF" || chunks != 3 || got.Done {
		t.Errorf("a stream that dies after 3 chunks: %d chunks, done %v, %v; want 3, not done, Ollama's error", chunks, got.Done, err)
	}
	if _, _, err := chatAll(t, c, &api.ChatRequest{Model: "llama3.2", Stream: no(), Messages: []api.Message{{Role: "user", Content: "hi"}}}); err != nil {
		t.Errorf("a non-streamed answer is one line, never cut after 3: %v", err)
	}
}

// TestCreateCopyDelete: /api/create from a served model streams Ollama's progress and serves
// the new model with the capabilities of the one it came from; a copy is served under its new
// name; a deleted model is gone (server/create.go, routes.go:1016-1058, 1368-1405).
func TestCreateCopyDelete(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, c := start(t, ollama.Config{})
	var statuses []string
	if err := c.Create(ctx, &api.CreateRequest{Model: "support-bot", From: "qwen3"}, func(p api.ProgressResponse) error {
		statuses = append(statuses, p.Status)
		return nil
	}); err != nil || len(statuses) != 3 || !strings.HasPrefix(statuses[0], "using existing layer sha256:") || statuses[2] != "success" {
		t.Fatalf("Create = %v, %v; want Ollama's three steps", statuses, err)
	}
	show, err := c.Show(ctx, &api.ShowRequest{Model: "support-bot:latest"})
	if err != nil || fmt.Sprint(show.Capabilities) != "[completion tools thinking]" {
		t.Errorf("Show(support-bot) = %v, %v; want qwen3's capabilities", show.Capabilities, err)
	}
	if err := c.Copy(ctx, &api.CopyRequest{Source: "support-bot", Destination: "support-bot-2"}); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(ctx, &api.DeleteRequest{Model: "support-bot"}); err != nil {
		t.Fatal(err)
	}
	list, err := c.List(ctx)
	var names []string
	for _, m := range list.Models {
		names = append(names, m.Name)
	}
	if err != nil || !slices.Contains(names, "support-bot-2:latest") || slices.Contains(names, "support-bot:latest") {
		t.Errorf("List after copy and delete = %v, %v; want the copy and not the deleted one", names, err)
	}
	err = c.Create(ctx, &api.CreateRequest{Model: "x", From: "gpt-17"}, func(api.ProgressResponse) error { return nil })
	if err == nil || err.Error() != "pull model manifest: file does not exist" {
		t.Errorf("Create from an unknown model = %v; want the pull's error", err)
	}
}
