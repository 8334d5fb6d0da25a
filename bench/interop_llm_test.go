package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ollama/ollama/api"
	oa "github.com/openai/openai-go/v3"
	oaoption "github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/shared"
	"github.com/santhosh-tekuri/jsonschema/v6"
	goopenai "github.com/sashabaranov/go-openai"
	"github.com/tmc/langchaingo/llms"
	lcollama "github.com/tmc/langchaingo/llms/ollama"
	lcopenai "github.com/tmc/langchaingo/llms/openai"

	"github.com/shakedown-dev/shakedown/faults/httpfault"
	"github.com/shakedown-dev/shakedown/mock/ollama"
	"github.com/shakedown-dev/shakedown/units"
)

// orderParams is the parameters of the get_order_status tool, and shipped its result.
const (
	orderParams = `{"type":"object","properties":{"order_id":{"type":"string"},"verbose":{"type":"boolean"}},"required":["order_id"]}`
	shipped     = `{"status":"shipped"}`
)

// ticketSchema is a structured-output schema with a nested object, an array of enum strings, a
// bounded integer and required keys.
const ticketSchema = `{"type":"object","properties":{
	"customer":{"type":"object","properties":{"name":{"type":"string"},"tier":{"type":"string","enum":["free","pro"]}},"required":["name","tier"]},
	"tags":{"type":"array","items":{"type":"string","enum":["billing","shipping","urgent"]},"minItems":1,"maxItems":3},
	"priority":{"type":"integer","minimum":1,"maximum":5}},
	"required":["customer","tags","priority"]}`

// schema compiles a JSON Schema.
func schema(t *testing.T, text string) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// validate reports why doc is not a JSON document valid against s.
func validate(s *jsonschema.Schema, doc string) error {
	v, err := jsonschema.UnmarshalJSON(strings.NewReader(doc))
	if err != nil {
		return fmt.Errorf("%q is not JSON: %w", doc, err)
	}
	if err := s.Validate(v); err != nil {
		return fmt.Errorf("%s: %w", doc, err)
	}
	return nil
}

// checkCall reports what is wrong with a tool call: Ollama's id, the tool's name, arguments valid
// against its parameters.
func checkCall(params *jsonschema.Schema, id, name, args string) error {
	if !strings.HasPrefix(id, "call_") || len(id) != len("call_")+8 {
		return fmt.Errorf("call id %q; want call_ and 8 characters", id)
	}
	if name != "get_order_status" {
		return fmt.Errorf("call of %q; want get_order_status", name)
	}
	return validate(params, args)
}

func asMap(t *testing.T, text string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(text), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func goOpenAI(base string) *goopenai.Client {
	cfg := goopenai.DefaultConfig("ollama")
	cfg.BaseURL = base
	return goopenai.NewClientWithConfig(cfg)
}

func openaiGo(base string) oa.Client {
	return oa.NewClient(oaoption.WithBaseURL(base+"/"), oaoption.WithAPIKey("ollama"), oaoption.WithMaxRetries(0))
}

func ollamaAPI(t *testing.T, srv *ollama.Server) *api.Client {
	t.Helper()
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	return api.NewClient(u, http.DefaultClient)
}

// TestInteropToolCalls: a tool offered through go-openai, openai-go and langchaingo is called
// once, by its name, with arguments valid against its parameters, and the tool's result sent
// back starts the answer.
func TestInteropToolCalls(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv, base := mockV1(t)
	params := schema(t, orderParams)
	model := "llama3.2"
	ask := "Where is my order 1234?"

	gc := goOpenAI(base)
	gtools := []goopenai.Tool{{Type: goopenai.ToolTypeFunction, Function: &goopenai.FunctionDefinition{Name: "get_order_status", Parameters: json.RawMessage(orderParams)}}}
	msgs := []goopenai.ChatCompletionMessage{{Role: goopenai.ChatMessageRoleUser, Content: ask}}
	resp, err := gc.CreateChatCompletion(ctx, goopenai.ChatCompletionRequest{Model: model, Messages: msgs, Tools: gtools})
	if err != nil || len(resp.Choices) != 1 || resp.Choices[0].FinishReason != goopenai.FinishReasonToolCalls || len(resp.Choices[0].Message.ToolCalls) != 1 || resp.Choices[0].Message.Content != "" {
		t.Fatalf("go-openai with a tool = %+v, %v; want one tool call, finish_reason tool_calls, no content", resp, err)
	}
	call := resp.Choices[0].Message.ToolCalls[0]
	if err := checkCall(params, call.ID, call.Function.Name, call.Function.Arguments); err != nil {
		t.Errorf("go-openai: %v", err)
	}
	msgs = append(msgs, resp.Choices[0].Message, goopenai.ChatCompletionMessage{Role: goopenai.ChatMessageRoleTool, ToolCallID: call.ID, Content: shipped})
	resp, err = gc.CreateChatCompletion(ctx, goopenai.ChatCompletionRequest{Model: model, Messages: msgs, Tools: gtools})
	if err != nil || len(resp.Choices) != 1 || !strings.HasPrefix(resp.Choices[0].Message.Content, shipped+" ") || resp.Choices[0].FinishReason != goopenai.FinishReasonStop {
		t.Errorf("go-openai after the tool's result = %+v, %v; want an answer that starts with %s", resp, err, shipped)
	}

	// Streamed: Ollama sends the whole call in one delta (index 0, id, name, arguments), then an
	// empty delta with finish_reason tool_calls.
	st, err := gc.CreateChatCompletionStream(ctx, goopenai.ChatCompletionRequest{Model: model, Messages: msgs[:1], Tools: gtools, Stream: true})
	if err != nil {
		t.Fatal(err)
	}
	var scall goopenai.ToolCall
	var finish goopenai.FinishReason
	deltas := 0
	for {
		c, err := st.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("go-openai stream with a tool: %v", err)
		}
		for _, tc := range c.Choices[0].Delta.ToolCalls {
			if tc.Index == nil || *tc.Index != 0 {
				t.Errorf("go-openai streamed tool call index = %v; want 0", tc.Index)
			}
			deltas++
			scall.ID += tc.ID
			scall.Function.Name += tc.Function.Name
			scall.Function.Arguments += tc.Function.Arguments
		}
		if c.Choices[0].FinishReason != "" {
			finish = c.Choices[0].FinishReason
		}
	}
	st.Close()
	if deltas != 1 || finish != goopenai.FinishReasonToolCalls || scall.ID != call.ID || scall.Function.Name != call.Function.Name || scall.Function.Arguments != call.Function.Arguments {
		t.Errorf("go-openai streamed call = %+v in %d deltas, finish %q; want the same call as unstreamed (%+v) in 1 delta, finish tool_calls", scall, deltas, finish, call)
	}

	oc := openaiGo(base)
	otools := []oa.ChatCompletionToolUnionParam{oa.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{Name: "get_order_status", Parameters: asMap(t, orderParams)})}
	oparams := oa.ChatCompletionNewParams{Model: model, Messages: []oa.ChatCompletionMessageParamUnion{oa.UserMessage(ask)}, Tools: otools}
	oresp, err := oc.Chat.Completions.New(ctx, oparams)
	if err != nil || len(oresp.Choices) != 1 || oresp.Choices[0].FinishReason != "tool_calls" || len(oresp.Choices[0].Message.ToolCalls) != 1 {
		t.Fatalf("openai-go with a tool = %+v, %v; want one tool call, finish_reason tool_calls", oresp, err)
	}
	ocall := oresp.Choices[0].Message.ToolCalls[0]
	if err := checkCall(params, ocall.ID, ocall.Function.Name, ocall.Function.Arguments); err != nil || ocall.Type != "function" {
		t.Errorf("openai-go: %v (type %q)", err, ocall.Type)
	}
	oparams.Messages = append(oparams.Messages, oresp.Choices[0].Message.ToParam(), oa.ToolMessage(shipped, ocall.ID))
	oresp, err = oc.Chat.Completions.New(ctx, oparams)
	if err != nil || len(oresp.Choices) != 1 || !strings.HasPrefix(oresp.Choices[0].Message.Content, shipped+" ") || oresp.Choices[0].FinishReason != "stop" {
		t.Errorf("openai-go after the tool's result = %+v, %v; want an answer that starts with %s", oresp, err, shipped)
	}

	ltools := []llms.Tool{{Type: "function", Function: &llms.FunctionDefinition{Name: "get_order_status", Parameters: asMap(t, orderParams)}}}
	human := llms.TextParts(llms.ChatMessageTypeHuman, ask)

	// langchaingo's llms/openai on /v1 calls the tool and sends its result back.
	lo, err := lcopenai.New(lcopenai.WithBaseURL(base), lcopenai.WithToken("x"), lcopenai.WithModel(model))
	if err != nil {
		t.Fatal(err)
	}
	lresp, err := lo.GenerateContent(ctx, []llms.MessageContent{human}, llms.WithTools(ltools))
	if err != nil || len(lresp.Choices) != 1 || len(lresp.Choices[0].ToolCalls) != 1 || lresp.Choices[0].StopReason != "tool_calls" {
		t.Fatalf("langchaingo llms/openai with a tool = %+v, %v; want one tool call, stop reason tool_calls", lresp, err)
	}
	lcall := lresp.Choices[0].ToolCalls[0]
	if err := checkCall(params, lcall.ID, lcall.FunctionCall.Name, lcall.FunctionCall.Arguments); err != nil {
		t.Errorf("langchaingo llms/openai: %v", err)
	}
	lresp, err = lo.GenerateContent(ctx, []llms.MessageContent{human,
		{Role: llms.ChatMessageTypeAI, Parts: []llms.ContentPart{lcall}},
		{Role: llms.ChatMessageTypeTool, Parts: []llms.ContentPart{llms.ToolCallResponse{ToolCallID: lcall.ID, Name: lcall.FunctionCall.Name, Content: shipped}}},
	}, llms.WithTools(ltools))
	if err != nil || len(lresp.Choices) != 1 || !strings.HasPrefix(lresp.Choices[0].Content, shipped+" ") {
		t.Errorf("langchaingo llms/openai after the tool's result = %+v, %v; want an answer that starts with %s", lresp, err, shipped)
	}

	// langchaingo v0.1.14's llms/ollama (the native API) has no tools: its ChatRequest has no
	// tools field, so llms.WithTools is dropped without an error and the model, offered no tool,
	// answers text. A service that needs tool calls from Ollama through langchaingo must use
	// llms/openai on /v1. (When a langchaingo upgrade sends the tools, this fails: then assert
	// the call.)
	ln, err := lcollama.New(lcollama.WithServerURL(srv.URL), lcollama.WithModel(model))
	if err != nil {
		t.Fatal(err)
	}
	nresp, err := ln.GenerateContent(ctx, []llms.MessageContent{human}, llms.WithTools(ltools))
	if err != nil || len(nresp.Choices) != 1 || len(nresp.Choices[0].ToolCalls) != 0 || nresp.Choices[0].FuncCall != nil || nresp.Choices[0].Content == "" {
		t.Errorf("langchaingo llms/ollama with a tool = %+v, %v; want a text answer and no tool call (v0.1.14 drops the tools)", nresp, err)
	}

	// The native API itself, through Ollama's own client: arguments as an object.
	var nc api.ChatResponse
	var tool api.Tool
	if err := json.Unmarshal([]byte(`{"type":"function","function":{"name":"get_order_status","parameters":`+orderParams+`}}`), &tool); err != nil {
		t.Fatal(err)
	}
	no := false
	err = ollamaAPI(t, srv).Chat(ctx, &api.ChatRequest{Model: model, Stream: &no, Tools: api.Tools{tool}, Messages: []api.Message{{Role: "user", Content: ask}}},
		func(r api.ChatResponse) error { nc = r; return nil })
	if err != nil || len(nc.Message.ToolCalls) != 1 || nc.Message.Content != "" || nc.Message.ToolCalls[0].Function.Index != 0 {
		t.Fatalf("ollama api with a tool = %+v, %v; want one tool call at index 0 and no content", nc, err)
	}
	ncall := nc.Message.ToolCalls[0]
	args, _ := json.Marshal(ncall.Function.Arguments)
	if err := checkCall(params, ncall.ID, ncall.Function.Name, string(args)); err != nil {
		t.Errorf("ollama api: %v", err)
	}
}

// TestInteropStructuredOutput: a JSON Schema given as response_format (go-openai, openai-go) is
// answered with a document valid against it; json_object and langchaingo's native format "json"
// with a JSON object.
func TestInteropStructuredOutput(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv, base := mockV1(t)
	ticket, object := schema(t, ticketSchema), schema(t, `{"type":"object"}`)
	model := "qwen2.5"
	ask := "File a ticket: my parcel is late."

	gc := goOpenAI(base)
	msgs := []goopenai.ChatCompletionMessage{{Role: goopenai.ChatMessageRoleUser, Content: ask}}
	resp, err := gc.CreateChatCompletion(ctx, goopenai.ChatCompletionRequest{Model: model, Messages: msgs,
		ResponseFormat: &goopenai.ChatCompletionResponseFormat{Type: goopenai.ChatCompletionResponseFormatTypeJSONSchema,
			JSONSchema: &goopenai.ChatCompletionResponseFormatJSONSchema{Name: "ticket", Schema: json.RawMessage(ticketSchema), Strict: true}}})
	if err != nil || len(resp.Choices) != 1 || resp.Choices[0].FinishReason != goopenai.FinishReasonStop {
		t.Fatalf("go-openai json_schema = %+v, %v", resp, err)
	}
	if err := validate(ticket, resp.Choices[0].Message.Content); err != nil {
		t.Errorf("go-openai json_schema: %v", err)
	}
	resp, err = gc.CreateChatCompletion(ctx, goopenai.ChatCompletionRequest{Model: model, Messages: msgs,
		ResponseFormat: &goopenai.ChatCompletionResponseFormat{Type: goopenai.ChatCompletionResponseFormatTypeJSONObject}})
	if err != nil || len(resp.Choices) != 1 {
		t.Fatalf("go-openai json_object = %+v, %v", resp, err)
	}
	if err := validate(object, resp.Choices[0].Message.Content); err != nil {
		t.Errorf("go-openai json_object: %v", err)
	}

	oc := openaiGo(base)
	oresp, err := oc.Chat.Completions.New(ctx, oa.ChatCompletionNewParams{Model: model, Messages: []oa.ChatCompletionMessageParamUnion{oa.UserMessage(ask)},
		ResponseFormat: oa.ChatCompletionNewParamsResponseFormatUnion{OfJSONSchema: &shared.ResponseFormatJSONSchemaParam{
			JSONSchema: shared.ResponseFormatJSONSchemaJSONSchemaParam{Name: "ticket", Schema: asMap(t, ticketSchema)}}}})
	if err != nil || len(oresp.Choices) != 1 {
		t.Fatalf("openai-go json_schema = %+v, %v", oresp, err)
	}
	if err := validate(ticket, oresp.Choices[0].Message.Content); err != nil {
		t.Errorf("openai-go json_schema: %v", err)
	}
	var decoded struct {
		Customer struct{ Name, Tier string }
		Tags     []string
		Priority int
	}
	if err := json.Unmarshal([]byte(oresp.Choices[0].Message.Content), &decoded); err != nil || decoded.Priority < 1 || decoded.Priority > 5 || len(decoded.Tags) == 0 || decoded.Customer.Tier == "" {
		t.Errorf("openai-go json_schema decoded = %+v, %v", decoded, err)
	}

	// langchaingo's llms/ollama takes a format string only ("json"; a schema cannot be passed).
	ln, err := lcollama.New(lcollama.WithServerURL(srv.URL), lcollama.WithModel(model), lcollama.WithFormat("json"))
	if err != nil {
		t.Fatal(err)
	}
	lresp, err := ln.GenerateContent(ctx, []llms.MessageContent{llms.TextParts(llms.ChatMessageTypeHuman, ask)})
	if err != nil || len(lresp.Choices) != 1 {
		t.Fatalf("langchaingo llms/ollama format json = %+v, %v", lresp, err)
	}
	if err := validate(object, lresp.Choices[0].Content); err != nil {
		t.Errorf("langchaingo llms/ollama format json: %v", err)
	}
}

// TestInteropThinking: a thinking model's reasoning reaches openai-go, under the field Ollama
// names "reasoning", but not go-openai, which reads "reasoning_content"; the native API refuses
// think: true for a model that does not think.
func TestInteropThinking(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv, base := mockV1(t)
	ask := "Why is the sky blue?"

	// openai-go has no reasoning field: the text is in the message's extra fields.
	oc := openaiGo(base)
	oresp, err := oc.Chat.Completions.New(ctx, oa.ChatCompletionNewParams{Model: "qwen3", Messages: []oa.ChatCompletionMessageParamUnion{oa.UserMessage(ask)}})
	if err != nil || len(oresp.Choices) != 1 || oresp.Choices[0].Message.Content == "" {
		t.Fatalf("openai-go qwen3 = %+v, %v", oresp, err)
	}
	var reasoning string
	if f, ok := oresp.Choices[0].Message.JSON.ExtraFields["reasoning"]; !ok || json.Unmarshal([]byte(f.Raw()), &reasoning) != nil || reasoning == "" {
		t.Errorf("openai-go qwen3: extra fields %v; want a non-empty \"reasoning\"", oresp.Choices[0].Message.JSON.ExtraFields)
	}

	// go-openai's ReasoningContent is DeepSeek's reasoning_content: Ollama's reasoning is lost.
	resp, err := goOpenAI(base).CreateChatCompletion(ctx, goopenai.ChatCompletionRequest{Model: "qwen3", Messages: []goopenai.ChatCompletionMessage{{Role: goopenai.ChatMessageRoleUser, Content: ask}}})
	if err != nil || len(resp.Choices) != 1 || resp.Choices[0].Message.Content != oresp.Choices[0].Message.Content || resp.Choices[0].Message.ReasoningContent != "" {
		t.Errorf("go-openai qwen3 = %+v, %v; want the same content as openai-go's and no ReasoningContent (Ollama sends \"reasoning\")", resp, err)
	}

	c := ollamaAPI(t, srv)
	no := false
	var nr api.ChatResponse
	err = c.Chat(ctx, &api.ChatRequest{Model: "qwen3", Stream: &no, Think: &api.ThinkValue{Value: true}, Messages: []api.Message{{Role: "user", Content: ask}}},
		func(r api.ChatResponse) error { nr = r; return nil })
	if err != nil || nr.Message.Thinking != reasoning || nr.Message.Content == "" {
		t.Errorf("ollama api qwen3 think = %+v, %v; want the thinking /v1 gave, %q", nr.Message, err, reasoning)
	}
	err = c.Chat(ctx, &api.ChatRequest{Model: "llama3.2", Stream: &no, Think: &api.ThinkValue{Value: true}, Messages: []api.Message{{Role: "user", Content: ask}}},
		func(api.ChatResponse) error { return nil })
	var se api.StatusError
	if !errors.As(err, &se) || se.StatusCode != http.StatusBadRequest || se.ErrorMessage != `"llama3.2" does not support thinking` {
		t.Errorf("ollama api llama3.2 think = %#v; want StatusError 400 \"llama3.2\" does not support thinking", err)
	}
}

// streamEnd is how a client's stream ended: the chunks it handed over, their text, the finish
// reason (done_reason on the native API) it saw ("" when none) and the error it returned.
type streamEnd struct {
	chunks int
	text   string
	finish string
	err    error
}

// TestInteropStreamDiesMidway: the model runner dies mid-answer (a stream-error fault on
// /v1/chat/completions and /api/chat), and each client is seen against the same answer whole.
// On the native API Ollama ends the stream with an error line, which every native client returns
// as an error; on /v1 it ends with an empty chunk, no finish_reason and no [DONE], which the
// OpenAI clients take for a clean end: there a service can tell a cut stream only by the
// missing finish_reason.
func TestInteropStreamDiesMidway(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	whole, wholeBase := mockV1(t)
	cut, cutBase := mockV1(t)
	dies := func(name, path string) httpfault.Fault {
		return httpfault.Fault{Name: name, Probability: units.Probability(1), Action: httpfault.Action{Kind: httpfault.KindStreamError, AfterChunks: 4, PathPrefix: path}}
	}
	if err := cut.Faults().SetAll([]httpfault.Fault{dies("v1-dies", "/v1/chat/completions"), dies("native-dies", "/api/chat")}); err != nil {
		t.Fatal(err)
	}
	model := "llama3.2"
	ask := "Tell me about my order."
	const died = "an error was encountered while running the model: unexpected EOF"

	clients := []struct {
		name      string
		run       func(srv *ollama.Server, base string) streamEnd
		cut       streamEnd // text left out: the cut's text must begin the whole answer's
		wholeDone string    // the finish reason of the whole answer
	}{
		// go-openai: Recv hands over the chunks, then the empty one, then io.EOF, as at the end
		// of a whole stream. Lesson: io.EOF is not success; keep the last FinishReason seen and
		// treat "" at io.EOF as a cut answer.
		{"go-openai", func(_ *ollama.Server, base string) streamEnd {
			st, err := goOpenAI(base).CreateChatCompletionStream(ctx, goopenai.ChatCompletionRequest{Model: model, Stream: true,
				Messages: []goopenai.ChatCompletionMessage{{Role: goopenai.ChatMessageRoleUser, Content: ask}}})
			if err != nil {
				return streamEnd{err: err}
			}
			defer st.Close()
			var e streamEnd
			for {
				c, err := st.Recv()
				if err != nil {
					e.err = err
					return e
				}
				e.chunks++
				if len(c.Choices) > 0 {
					e.text += c.Choices[0].Delta.Content
					if c.Choices[0].FinishReason != "" {
						e.finish = string(c.Choices[0].FinishReason)
					}
				}
			}
		}, streamEnd{chunks: 3, err: io.EOF}, "stop"},
		// openai-go: Next turns false and Err is nil, as at the end of a whole stream (the SSE
		// decoder takes EOF for the end; no [DONE] is needed). Lesson: after the loop, check the
		// accumulator's FinishReason: "" means cut.
		{"openai-go", func(_ *ollama.Server, base string) streamEnd {
			oc := openaiGo(base)
			st := oc.Chat.Completions.NewStreaming(ctx, oa.ChatCompletionNewParams{Model: model, Messages: []oa.ChatCompletionMessageParamUnion{oa.UserMessage(ask)}})
			acc := oa.ChatCompletionAccumulator{}
			var e streamEnd
			for st.Next() {
				acc.AddChunk(st.Current())
				e.chunks++
			}
			e.err = st.Err()
			if len(acc.Choices) > 0 {
				e.text, e.finish = acc.Choices[0].Message.Content, acc.Choices[0].FinishReason
			}
			return e
		}, streamEnd{chunks: 3}, "stop"},
		// langchaingo llms/openai: GenerateContent returns the partial text and no error; the
		// streaming func was called for each chunk (the empty one too). Lesson: check the
		// ContentChoice's StopReason: "" means cut.
		{"langchaingo llms/openai", func(_ *ollama.Server, base string) streamEnd {
			lo, err := lcopenai.New(lcopenai.WithBaseURL(base), lcopenai.WithToken("x"), lcopenai.WithModel(model))
			if err != nil {
				return streamEnd{err: err}
			}
			var e streamEnd
			resp, err := lo.GenerateContent(ctx, []llms.MessageContent{llms.TextParts(llms.ChatMessageTypeHuman, ask)},
				llms.WithStreamingFunc(func(_ context.Context, chunk []byte) error { e.chunks++; e.text += string(chunk); return nil }))
			e.err = err
			if err == nil {
				e.finish = resp.Choices[0].StopReason
			}
			return e
		}, streamEnd{chunks: 3}, "stop"},
		// langchaingo llms/ollama: GenerateContent returns a nil response and Ollama's message as
		// a plain error (fmt.Errorf("%s")), after the streaming func got the chunks before the
		// cut. Lesson: an error is a cut (it was not typed; match the text if you must). Without
		// a streaming func the same happens: langchaingo omits "stream": false, so Ollama streams.
		{"langchaingo llms/ollama", func(srv *ollama.Server, _ string) streamEnd {
			ln, err := lcollama.New(lcollama.WithServerURL(srv.URL), lcollama.WithModel(model))
			if err != nil {
				return streamEnd{err: err}
			}
			var e streamEnd
			_, e.err = ln.GenerateContent(ctx, []llms.MessageContent{llms.TextParts(llms.ChatMessageTypeHuman, ask)},
				llms.WithStreamingFunc(func(_ context.Context, chunk []byte) error { e.chunks++; e.text += string(chunk); return nil }))
			return e
		}, streamEnd{chunks: 4, err: errors.New(died)}, ""},
		// ollama api: Chat calls fn for each chunk before the cut, never with Done, then returns
		// errors.New(Ollama's message) (not a StatusError: the status was 200). Lesson: an error
		// from Chat after chunks is a cut; a whole answer ends with Done and a DoneReason.
		{"ollama api", func(srv *ollama.Server, _ string) streamEnd {
			var e streamEnd
			e.err = ollamaAPI(t, srv).Chat(ctx, &api.ChatRequest{Model: model, Messages: []api.Message{{Role: "user", Content: ask}}}, func(r api.ChatResponse) error {
				e.chunks++
				e.text += r.Message.Content
				if r.Done {
					e.finish = r.DoneReason
				}
				return nil
			})
			return e
		}, streamEnd{chunks: 4, err: errors.New(died)}, "stop"},
	}
	for _, c := range clients {
		w := c.run(whole, wholeBase)
		got := c.run(cut, cutBase)
		wantWholeErr := error(nil)
		if c.name == "go-openai" {
			wantWholeErr = io.EOF
		}
		if fmt.Sprint(w.err) != fmt.Sprint(wantWholeErr) || w.finish != c.wholeDone || w.text == "" {
			t.Errorf("%s, the whole answer: %+v; want finish %q, error %v", c.name, w, c.wholeDone, wantWholeErr)
		}
		if got.chunks != c.cut.chunks || got.finish != c.cut.finish || fmt.Sprint(got.err) != fmt.Sprint(c.cut.err) {
			t.Errorf("%s, cut: %d chunks, finish %q, error %v; want %d chunks, finish %q, error %v", c.name, got.chunks, got.finish, got.err, c.cut.chunks, c.cut.finish, c.cut.err)
		}
		var se api.StatusError
		if errors.As(got.err, &se) {
			t.Errorf("%s, cut: a StatusError %#v; want a plain error (the status was 200)", c.name, se)
		}
		if got.text == "" || got.text == w.text || !strings.HasPrefix(w.text, got.text) {
			t.Errorf("%s, cut: text %q; want a non-empty start of the whole answer's, %q", c.name, got.text, w.text)
		}
	}

	// langchaingo llms/ollama without a streaming func: the same error, as its request leaves
	// "stream" out (omitempty of false) and Ollama streams by default.
	ln, err := lcollama.New(lcollama.WithServerURL(cut.URL), lcollama.WithModel(model))
	if err != nil {
		t.Fatal(err)
	}
	if resp, err := ln.GenerateContent(ctx, []llms.MessageContent{llms.TextParts(llms.ChatMessageTypeHuman, ask)}); resp != nil || fmt.Sprint(err) != died {
		t.Errorf("langchaingo llms/ollama unstreamed, cut: %+v, %v; want no response and %q", resp, err, died)
	}
}

// TestInteropQueueing, through the clients: at Ollama's default parallelism a second request
// waits for the first (its wait is its load_duration), and while a model loads, a request past
// the queue is refused with Ollama's 503, which go-openai surfaces as an APIError with the text.
func TestInteropQueueing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	// One slot: B, sent once A's first token has come, waits until A's last one (a second later).
	srv := ollama.NewServer(ollama.Config{Seed: 7, Tokens: 2, TokenInterval: time.Second})
	t.Cleanup(srv.Close)
	c := ollamaAPI(t, srv)
	first := make(chan struct{})
	var aDone api.ChatResponse
	aErr := make(chan error, 1)
	go func() {
		once := false
		aErr <- c.Chat(ctx, &api.ChatRequest{Model: "llama3.2", Messages: []api.Message{{Role: "user", Content: "a"}}}, func(r api.ChatResponse) error {
			if !once {
				once = true
				close(first)
			}
			if r.Done {
				aDone = r
			}
			return nil
		})
	}()
	<-first
	var b api.ChatResponse
	no := false
	if err := c.Chat(ctx, &api.ChatRequest{Model: "llama3.2", Stream: &no, Messages: []api.Message{{Role: "user", Content: "b"}}},
		func(r api.ChatResponse) error { b = r; return nil }); err != nil {
		t.Fatal(err)
	}
	if err := <-aErr; err != nil || !aDone.Done {
		t.Fatalf("A: %v, done %v", err, aDone.Done)
	}
	if b.LoadDuration < 500*time.Millisecond {
		t.Errorf("B's load_duration %v; want it to have waited for A's last token (about 1s)", b.LoadDuration)
	}

	// A queue of one while the model loads for an hour: of two requests, one waits and one is
	// refused.
	loading := ollama.NewServer(ollama.Config{Seed: 7, MaxQueue: 1, LoadDuration: time.Hour})
	t.Cleanup(loading.Close)
	gc := goOpenAI(loading.URL + "/v1")
	wctx, cancel := context.WithCancel(ctx)
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			_, err := gc.CreateChatCompletion(wctx, goopenai.ChatCompletionRequest{Model: "llama3.2", Messages: []goopenai.ChatCompletionMessage{{Role: "user", Content: "hi"}}})
			errs <- err
		}()
	}
	refused := <-errs // the one past the queue answers at once; the other waits for the load
	cancel()
	waited := <-errs
	var ae *goopenai.APIError
	if !errors.As(refused, &ae) || ae.HTTPStatusCode != http.StatusServiceUnavailable || ae.Message != "server busy, please try again.  maximum pending requests exceeded" {
		t.Errorf("past the queue: %v; want go-openai's APIError, 503 with Ollama's text", refused)
	}
	if !errors.Is(waited, context.Canceled) {
		t.Errorf("the queued one: %v; want it still waiting when cancelled", waited)
	}
}
