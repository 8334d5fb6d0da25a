package ollama

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// answer is one generation: its tokens, why it ended ("stop", or "length" when num_predict cut
// it) and the metrics that agree with them.
type answer struct {
	model      string
	tokens     []string
	doneReason string
	m          metrics
}

func (s *Server) answer(model string, prompt string, promptCount int, options map[string]any) answer {
	n := 0
	if v, ok := options["num_predict"].(float64); ok && v >= 1 { // Ollama's -1 and -2 (no limit) draw
		n = int(min(v, contextLength))
	}
	toks, cut := s.tokens(model, prompt, n)
	reason := "stop"
	if cut {
		reason = "length"
	}
	evalDur := time.Duration(len(toks)-1) * s.cfg.TokenInterval
	return answer{model: model, tokens: toks, doneReason: reason, m: metrics{
		TotalDuration:      s.cfg.TimeToFirstToken + evalDur,
		LoadDuration:       0,
		PromptEvalCount:    promptCount,
		PromptEvalDuration: s.cfg.TimeToFirstToken,
		EvalCount:          len(toks),
		EvalDuration:       evalDur,
	}}
}

// emit sends an answer's tokens to chunk, one by one with the configured timing, or, when not
// streaming, waits the whole time and returns. It reports whether the request is still there.
func (s *Server) emit(r *http.Request, a answer, stream bool, chunk func(tok string) error) bool {
	if !stream {
		return s.wait(r, a.m.TotalDuration)
	}
	if !s.wait(r, s.cfg.TimeToFirstToken) {
		return false
	}
	for i, tok := range a.tokens {
		if i > 0 && !s.wait(r, s.cfg.TokenInterval) {
			return false
		}
		if chunk(tok) != nil {
			return false
		}
	}
	return true
}

func streaming(flag *bool) bool { return flag == nil || *flag }

// textModel resolves a request's model for generate or chat, answering 400 or 404 like Ollama
// when it cannot (an embedding model cannot write text).
func (s *Server) textModel(w http.ResponseWriter, name, verb string, how missing) (Model, bool) {
	m, ok := s.find(w, name, how)
	if ok && m.Embedding {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("%q does not support %s", name, verb))
		return Model{}, false
	}
	return m, ok
}

func (s *Server) handleGenerate(w http.ResponseWriter, r *http.Request) {
	var req generateRequest
	if !decode(w, r, &req) {
		return
	}
	m, ok := s.textModel(w, req.Model, "generate", missingGenerate)
	if !ok {
		return
	}
	if req.Prompt == "" { // Ollama loads the model and answers done with no text
		writeJSON(w, http.StatusOK, generateResponse{Model: req.Model, CreatedAt: s.cfg.Now().UTC(), Done: true, DoneReason: "load"})
		return
	}
	a := s.answer(m.Name, req.System+"\x00"+req.Prompt, promptTokens(req.System, req.Prompt), req.Options)
	now := func() time.Time { return s.cfg.Now().UTC() }
	if !streaming(req.Stream) {
		if !s.emit(r, a, false, nil) {
			return
		}
		writeJSON(w, http.StatusOK, generateResponse{Model: req.Model, CreatedAt: now(), Response: strings.Join(a.tokens, ""),
			Done: true, DoneReason: a.doneReason, Context: contextOf(a), metrics: a.m})
		return
	}
	st := newStreamer(w)
	if !s.emit(r, a, true, func(tok string) error {
		return st.send(generateResponse{Model: req.Model, CreatedAt: now(), Response: tok})
	}) {
		return
	}
	st.send(generateResponse{Model: req.Model, CreatedAt: now(), Done: true, DoneReason: a.doneReason, Context: contextOf(a), metrics: a.m})
}

func (s *Server) handleChat(w http.ResponseWriter, r *http.Request) {
	var req chatRequest
	if !decode(w, r, &req) {
		return
	}
	m, ok := s.textModel(w, req.Model, "chat", missingChat)
	if !ok {
		return
	}
	if len(req.Messages) == 0 { // Ollama loads the model and answers done with no message
		writeJSON(w, http.StatusOK, chatResponse{Model: req.Model, CreatedAt: s.cfg.Now().UTC(), Message: message{Role: "assistant"}, Done: true, DoneReason: "load"})
		return
	}
	var parts []string
	for _, msg := range req.Messages {
		parts = append(parts, msg.Role+": "+msg.Content)
	}
	a := s.answer(m.Name, strings.Join(parts, "\x00"), promptTokens(parts...), req.Options)
	now := func() time.Time { return s.cfg.Now().UTC() }
	if !streaming(req.Stream) {
		if !s.emit(r, a, false, nil) {
			return
		}
		writeJSON(w, http.StatusOK, chatResponse{Model: req.Model, CreatedAt: now(), Message: message{Role: "assistant", Content: strings.Join(a.tokens, "")},
			Done: true, DoneReason: a.doneReason, metrics: a.m})
		return
	}
	st := newStreamer(w)
	if !s.emit(r, a, true, func(tok string) error {
		return st.send(chatResponse{Model: req.Model, CreatedAt: now(), Message: message{Role: "assistant", Content: tok}})
	}) {
		return
	}
	st.send(chatResponse{Model: req.Model, CreatedAt: now(), Message: message{Role: "assistant"}, Done: true, DoneReason: a.doneReason, metrics: a.m})
}

// contextOf is the generate answer's context: one token id per token, as Ollama returns them.
func contextOf(a answer) []int {
	out := make([]int, len(a.tokens))
	for i, t := range a.tokens {
		out[i] = len(t)*1000 + i
	}
	return out
}
