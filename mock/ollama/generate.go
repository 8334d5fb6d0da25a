package ollama

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/ollama/ollama/api"
)

// The text endpoints, /api/generate and /api/chat, check a request in the order Ollama v0.17.4's
// GenerateHandler and ChatHandler do (server/routes.go), so that a request wrong in two ways gets
// Ollama's answer to the first; then the model answers (generation below) through the scheduler.

// turn is what a text request asks of the model, once checked.
type turn struct {
	model       Model
	name        string // as requested: Ollama's answers repeat it
	chat        bool
	stream      bool
	key         []string // what seeds the answer
	promptCount int
	opts        api.Options
	format      json.RawMessage
	think       bool
	thinkLevel  string // a chat's think level, refused once the model is loaded
	tools       api.Tools
	schemas     map[string]json.RawMessage // the tools' parameters as sent
	toolResult  *string                    // the last message is a tool's result: the answer uses it
	logprobs    bool
	topLogprobs int
	truncate    bool
	keepAlive   *time.Duration
}

// piece is one streamed chunk of an answer and the tokens it took.
type piece struct {
	thinking, content string
	call              *api.ToolCall
	logprob           []api.Logprob
	tokens            int
}

// answer is one generation: its chunks, why it ended ("stop", or "length" when num_predict cut
// it) and the metrics that agree with them.
type answer struct {
	pieces     []piece
	doneReason string
	m          api.Metrics
}

func (a answer) text() (thinking, content string, calls []api.ToolCall, lps []api.Logprob) {
	var t, c strings.Builder
	for _, p := range a.pieces {
		t.WriteString(p.thinking)
		c.WriteString(p.content)
		if p.call != nil {
			calls = append(calls, *p.call)
		}
		lps = append(lps, p.logprob...)
	}
	return t.String(), c.String(), calls, lps
}

func streaming(flag *bool) bool { return flag == nil || *flag }

// check runs the checks both endpoints share, from the think value to the options, in Ollama's
// order; it answers the client and reports false when one fails. needTools and needInsert are
// the capabilities the request needs beyond completion (tools given, a suffix).
func (s *Server) check(w http.ResponseWriter, t *turn, think *api.ThinkValue, opts map[string]any, needTools, needInsert bool) bool {
	verb := "generate"
	if t.chat {
		verb = "chat"
	}
	// Only harmony (gpt-oss) models take a think level; the mock has none. Generate refuses a
	// level first (routes.go:374); chat checks the capability first and the level once the model
	// is loaded (routes.go:2150-2163, 2237).
	if think != nil && think.IsString() {
		if !t.chat {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("think value %q is not supported for this model", think.String()))
			return false
		}
		t.thinkLevel = think.String()
	}
	m := t.model
	switch {
	case m.Thinking:
		t.think = think == nil || think.Bool()
	case think != nil && think.Bool():
		writeError(w, http.StatusBadRequest, fmt.Sprintf("%q does not support thinking", t.name))
		return false
	}
	if m.Embedding {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("%q does not support %s", t.name, verb))
		return false
	}
	var missing []string
	if needTools && !m.Tools {
		missing = append(missing, "tools")
	}
	if needInsert && !m.Insert {
		missing = append(missing, "insert")
	}
	if len(missing) > 0 { // scheduleRunner's "%s %w" of CheckCapabilities' errors, a 400
		writeError(w, http.StatusBadRequest, fullName(t.name)+" does not support "+strings.Join(missing, "\n"))
		return false
	}
	t.opts = api.DefaultOptions()
	if t.opts.NumCtx == 0 {
		t.opts.NumCtx = numCtx
	}
	if len(opts) == 0 {
		return true
	}
	if err := t.opts.FromMap(opts); err != nil { // handleScheduleError's default: a 500
		writeError(w, http.StatusInternalServerError, err.Error())
		return false
	}
	return true
}

// run schedules the turn and answers it. An empty turn (no prompt, no messages) only loads the
// model, as Ollama's does.
func (s *Server) run(w http.ResponseWriter, r *http.Request, t *turn, empty bool) {
	start := time.Now()
	release, err := s.sched.acquire(r.Context(), t.model, t.keepAlive)
	if err != nil {
		scheduleError(w, err)
		return
	}
	defer release()
	load := time.Since(start)
	if empty {
		if t.chat {
			writeJSON(w, http.StatusOK, api.ChatResponse{Model: t.name, CreatedAt: s.now(), Message: api.Message{Role: "assistant"}, Done: true, DoneReason: "load"})
		} else {
			writeJSON(w, http.StatusOK, api.GenerateResponse{Model: t.name, CreatedAt: s.now(), Done: true, DoneReason: "load"})
		}
		return
	}
	if t.thinkLevel != "" {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("think value %q is not supported for this model", t.thinkLevel))
		return
	}
	if f := string(t.format); f != "" && f != "null" && f != `""` && f != `"json"` && f[0] != '{' {
		writeError(w, http.StatusInternalServerError, fmt.Sprintf("invalid format: %q; expected \"json\" or a valid JSON Schema object", t.format))
		return
	}
	if t.promptCount > t.opts.NumCtx {
		if !t.truncate {
			writeError(w, http.StatusBadRequest, "the input length exceeds the context length")
			return
		}
		t.promptCount = t.opts.NumCtx // the runner keeps the start and the end: num_ctx tokens
	}
	a := s.generate(t, load)
	if !t.stream {
		if !s.wait(r, a.m.TotalDuration-load) {
			return
		}
		thinking, content, calls, lps := a.text()
		if t.chat {
			writeJSON(w, http.StatusOK, api.ChatResponse{Model: t.name, CreatedAt: s.now(), Message: api.Message{Role: "assistant", Content: content, Thinking: thinking, ToolCalls: calls},
				Done: true, DoneReason: a.doneReason, Metrics: a.m, Logprobs: lps})
		} else {
			writeJSON(w, http.StatusOK, api.GenerateResponse{Model: t.name, CreatedAt: s.now(), Response: content, Thinking: thinking,
				Done: true, DoneReason: a.doneReason, Context: contextOf(a), Metrics: a.m, Logprobs: lps})
		}
		return
	}
	st := newStreamer(w)
	for i, p := range a.pieces {
		d := time.Duration(p.tokens) * s.cfg.TokenInterval
		if i == 0 {
			d += s.cfg.TimeToFirstToken - s.cfg.TokenInterval
		}
		if !s.wait(r, d) {
			return
		}
		var err error
		if t.chat {
			msg := api.Message{Role: "assistant", Content: p.content, Thinking: p.thinking}
			if p.call != nil {
				msg.ToolCalls = []api.ToolCall{*p.call}
			}
			err = st.send(api.ChatResponse{Model: t.name, CreatedAt: s.now(), Message: msg, Logprobs: p.logprob})
		} else {
			err = st.send(api.GenerateResponse{Model: t.name, CreatedAt: s.now(), Response: p.content, Thinking: p.thinking, Logprobs: p.logprob})
		}
		if err != nil {
			return
		}
	}
	if t.chat {
		st.send(api.ChatResponse{Model: t.name, CreatedAt: s.now(), Message: api.Message{Role: "assistant"}, Done: true, DoneReason: a.doneReason, Metrics: a.m})
	} else {
		st.send(api.GenerateResponse{Model: t.name, CreatedAt: s.now(), Done: true, DoneReason: a.doneReason, Context: contextOf(a), Metrics: a.m})
	}
}

// generate draws the answer: thinking first (a thinking model asked to think), then a tool call
// (tools given, the user's turn, unless SkipToolProbability draws text), or the text: JSON for a
// format, the tool's result for a turn after a tool, words otherwise; cut at a stop sequence or
// at num_predict. load is the time the request waited for its model.
func (s *Server) generate(t *turn, load time.Duration) answer {
	key := append([]string{"text", t.model.Name, seedKey(t.opts)}, t.key...)
	r := s.rng(key...)
	var a answer
	tokens := 0
	if t.think {
		for _, tok := range sentence(r, 4+r.IntN(8)) {
			a.pieces = append(a.pieces, piece{thinking: tok, tokens: 1})
			tokens++
		}
	}
	a.doneReason = "stop"
	if len(t.tools) > 0 && t.toolResult == nil && r.Float64() >= s.cfg.SkipToolProbability {
		tc := toolCall(r, t.tools, t.schemas)
		n := len(splitTokens(toolText(tc)))
		a.pieces = append(a.pieces, piece{call: &tc, tokens: n})
		tokens += n
	} else {
		var toks []string
		switch f := string(t.format); {
		case f != "" && f != "null" && f != `""`:
			toks = splitTokens(jsonAnswer(r, t.format))
		case t.toolResult != nil:
			toks = append(splitTokens(*t.toolResult), sentence(r, s.cfg.Tokens)...)
			toks[len(splitTokens(*t.toolResult))] = " " + toks[len(splitTokens(*t.toolResult))]
		default:
			toks = sentence(r, s.cfg.Tokens)
		}
		toks, _ = cutAtStop(toks, t.opts.Stop)
		if n := t.opts.NumPredict; n > 0 && n < len(toks) {
			toks, a.doneReason = toks[:n], "length"
		}
		var lps []api.Logprob
		if t.logprobs {
			lps = logprobsOf(s.rng(append(key, "logprobs")...), toks, t.topLogprobs)
		}
		for i, tok := range toks {
			p := piece{content: tok, tokens: 1}
			if lps != nil {
				p.logprob = lps[i : i+1]
			}
			a.pieces = append(a.pieces, p)
		}
		tokens += len(toks)
	}
	eval := time.Duration(max(tokens-1, 0)) * s.cfg.TokenInterval
	a.m = api.Metrics{
		TotalDuration:      load + s.cfg.TimeToFirstToken + eval,
		LoadDuration:       load,
		PromptEvalCount:    t.promptCount,
		PromptEvalDuration: s.cfg.TimeToFirstToken,
		EvalCount:          tokens,
		EvalDuration:       eval,
	}
	return a
}

func (s *Server) now() time.Time { return s.cfg.Now().UTC() }

func keepAlive(d *api.Duration) *time.Duration {
	if d == nil {
		return nil
	}
	v := d.Duration
	return &v
}

func (s *Server) handleGenerate(w http.ResponseWriter, r *http.Request) {
	var req api.GenerateRequest
	if !decode(w, r, &req) {
		return
	}
	if req.TopLogprobs < 0 || req.TopLogprobs > 20 { // routes.go:194
		writeError(w, http.StatusBadRequest, "top_logprobs must be between 0 and 20")
		return
	}
	m, ok := s.find(w, req.Model, missingGenerate)
	if !ok {
		return
	}
	if req.Prompt == "" && req.KeepAlive != nil && req.KeepAlive.Duration == 0 { // routes.go:336
		s.sched.unload(m)
		writeJSON(w, http.StatusOK, api.GenerateResponse{Model: req.Model, CreatedAt: s.now(), Done: true, DoneReason: "unload"})
		return
	}
	if req.Raw && (req.Template != "" || req.System != "" || len(req.Context) > 0) { // routes.go:355
		writeError(w, http.StatusBadRequest, "raw mode does not support template, system, or context")
		return
	}
	t := &turn{model: m, name: req.Model, stream: streaming(req.Stream), format: req.Format, logprobs: req.Logprobs, topLogprobs: req.TopLogprobs,
		truncate: req.Truncate == nil || *req.Truncate, keepAlive: keepAlive(req.KeepAlive),
		key: []string{req.System, req.Prompt, req.Suffix}, promptCount: promptTokens(req.System, req.Prompt, req.Suffix) + s.imageTokens(m, len(req.Images))}
	if !s.check(w, t, req.Think, req.Options, false, req.Suffix != "") {
		return
	}
	s.run(w, r, t, req.Prompt == "")
}

func (s *Server) handleChat(w http.ResponseWriter, r *http.Request) {
	var req api.ChatRequest
	body, ok := decodeRaw(w, r, &req)
	if !ok {
		return
	}
	if req.TopLogprobs < 0 || req.TopLogprobs > 20 { // routes.go:1995
		writeError(w, http.StatusBadRequest, "top_logprobs must be between 0 and 20")
		return
	}
	m, ok := s.find(w, req.Model, missingChat)
	if !ok {
		return
	}
	if len(req.Messages) == 0 && req.KeepAlive != nil && req.KeepAlive.Duration == 0 { // routes.go:2037
		s.sched.unload(m)
		writeJSON(w, http.StatusOK, api.ChatResponse{Model: req.Model, CreatedAt: s.now(), Message: api.Message{Role: "assistant"}, Done: true, DoneReason: "unload"})
		return
	}
	schemas, _ := r.Context().Value(schemasKey{}).(map[string]json.RawMessage) // a /v1 request's, kept there
	if schemas == nil {
		schemas = toolSchemas(body)
	}
	t := &turn{model: m, name: req.Model, chat: true, stream: streaming(req.Stream), format: req.Format, tools: req.Tools, schemas: schemas, logprobs: req.Logprobs,
		topLogprobs: req.TopLogprobs, truncate: req.Truncate == nil || *req.Truncate, keepAlive: keepAlive(req.KeepAlive)}
	images := 0
	for _, msg := range req.Messages {
		part := msg.Role + ": " + msg.Content
		for _, tc := range msg.ToolCalls {
			part += " " + toolText(tc)
		}
		t.key = append(t.key, part)
		t.promptCount += promptTokens(part)
		images += len(msg.Images)
	}
	t.promptCount += s.imageTokens(m, images)
	if n := len(req.Messages); n > 0 && req.Messages[n-1].Role == "tool" {
		t.toolResult = &req.Messages[n-1].Content
	}
	if !s.check(w, t, req.Think, req.Options, len(req.Tools) > 0, false) {
		return
	}
	s.run(w, r, t, len(req.Messages) == 0)
}

// imageTokens is what images add to a prompt: 768 tokens each for a vision model (the count
// Ollama's chatPrompt reserves for one), nothing for another, whose runner leaves them out.
func (s *Server) imageTokens(m Model, n int) int {
	if !m.Vision {
		return 0
	}
	return 768 * n
}

// contextOf is the generate answer's context: one token id per token, as Ollama returns them.
func contextOf(a answer) []int {
	var out []int
	for i, p := range a.pieces {
		out = append(out, len(p.content+p.thinking)*1000+i)
	}
	return out
}
