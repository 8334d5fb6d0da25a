package ollama

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/ollama/ollama/api"
	"github.com/ollama/ollama/openai"

	"github.com/shakedown-dev/shakedown/faults/httpfault"
)

// The OpenAI-compatible API, as Ollama v0.17.4 serves it (server/routes.go, middleware/openai.go):
// each /v1 endpoint turns its request into the native one with Ollama's own openai package, runs
// the native handler, and turns each answer the handler writes back into the OpenAI shape (a
// chat completion or its server-sent chunks, a completion, an embedding list, models). The HTTP
// faults act on these paths as on the native ones: the middleware sees the /v1 path and the
// OpenAI bytes.

func (s *Server) v1Models(w http.ResponseWriter, r *http.Request) {
	s.handleTags(v1(w, func(w http.ResponseWriter, line []byte) error {
		var lr api.ListResponse
		if err := json.Unmarshal(line, &lr); err != nil {
			return err
		}
		return v1JSON(w, openai.ToListCompletion(lr))
	}), r)
}

func (s *Server) v1Model(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("model")
	body, _ := json.Marshal(api.ShowRequest{Model: name}) // Ollama's middleware sets the deprecated Name; the handler reads either
	s.handleShow(v1(w, func(w http.ResponseWriter, line []byte) error {
		var sr api.ShowResponse
		if err := json.Unmarshal(line, &sr); err != nil {
			return err
		}
		return v1JSON(w, openai.ToModel(sr, name))
	}), withBody(r, body))
}

func (s *Server) v1Chat(w http.ResponseWriter, r *http.Request) {
	var req openai.ChatCompletionRequest
	raw, ok := v1Decode(w, r, &req)
	if !ok {
		return
	}
	if schemas := toolSchemas(raw); schemas != nil {
		r = r.WithContext(context.WithValue(r.Context(), schemasKey{}, schemas))
	}
	if len(req.Messages) == 0 {
		v1Error(w, http.StatusBadRequest, "[] is too short - 'messages'")
		return
	}
	chat, err := openai.FromChatRequest(req)
	if err != nil {
		v1Error(w, http.StatusBadRequest, err.Error())
		return
	}
	body, _ := json.Marshal(chat)
	id := fmt.Sprintf("chatcmpl-%d", s.rng("v1-id", string(body)).IntN(999))
	toolCallSent := false
	s.handleChat(v1(w, func(w http.ResponseWriter, line []byte) error {
		var cr api.ChatResponse
		if err := json.Unmarshal(line, &cr); err != nil {
			return err
		}
		if !req.Stream {
			return v1JSON(w, openai.ToChatCompletion(id, cr))
		}
		c := openai.ToChunk(id, cr, toolCallSent)
		if len(c.Choices) > 0 && len(c.Choices[0].Delta.ToolCalls) > 0 {
			toolCallSent = true
		}
		if err := sse(w, c); err != nil || !cr.Done {
			return err
		}
		if req.StreamOptions != nil && req.StreamOptions.IncludeUsage {
			u := openai.ToUsage(cr)
			c.Usage, c.Choices = &u, []openai.ChunkChoice{}
			if err := sse(w, c); err != nil {
				return err
			}
		}
		_, err := w.Write([]byte("data: [DONE]\n\n"))
		return err
	}), withBody(r, body))
}

func (s *Server) v1Completions(w http.ResponseWriter, r *http.Request) {
	var req openai.CompletionRequest
	if _, ok := v1Decode(w, r, &req); !ok {
		return
	}
	gen, err := openai.FromCompleteRequest(req)
	if err != nil {
		v1Error(w, http.StatusBadRequest, err.Error())
		return
	}
	body, _ := json.Marshal(gen)
	id := fmt.Sprintf("cmpl-%d", s.rng("v1-id", string(body)).IntN(999))
	s.handleGenerate(v1(w, func(w http.ResponseWriter, line []byte) error {
		var gr api.GenerateResponse
		if err := json.Unmarshal(line, &gr); err != nil {
			return err
		}
		if !req.Stream {
			return v1JSON(w, openai.ToCompletion(id, gr))
		}
		c := openai.ToCompleteChunk(id, gr)
		withUsage := req.StreamOptions != nil && req.StreamOptions.IncludeUsage
		if withUsage {
			c.Usage = &openai.Usage{}
		}
		if err := sse(w, c); err != nil || !gr.Done {
			return err
		}
		if withUsage {
			u := openai.ToUsageGenerate(gr)
			c.Usage, c.Choices = &u, []openai.CompleteChunkChoice{}
			if err := sse(w, c); err != nil {
				return err
			}
		}
		_, err := w.Write([]byte("data: [DONE]\n\n"))
		return err
	}), withBody(r, body))
}

func (s *Server) v1Embeddings(w http.ResponseWriter, r *http.Request) {
	var req openai.EmbedRequest
	if _, ok := v1Decode(w, r, &req); !ok {
		return
	}
	if req.EncodingFormat != "" && !strings.EqualFold(req.EncodingFormat, "float") && !strings.EqualFold(req.EncodingFormat, "base64") {
		v1Error(w, http.StatusBadRequest, fmt.Sprintf("Invalid value for 'encoding_format' = %s. Supported values: ['float', 'base64'].", req.EncodingFormat))
		return
	}
	if req.Input == "" {
		req.Input = []string{""}
	}
	if v, ok := req.Input.([]any); req.Input == nil || ok && len(v) == 0 {
		v1Error(w, http.StatusBadRequest, "invalid input")
		return
	}
	body, _ := json.Marshal(api.EmbedRequest{Model: req.Model, Input: req.Input, Dimensions: req.Dimensions})
	s.handleEmbed(v1(w, func(w http.ResponseWriter, line []byte) error {
		var er api.EmbedResponse
		if err := json.Unmarshal(line, &er); err != nil {
			return err
		}
		return v1JSON(w, openai.ToEmbeddingList(req.Model, er, req.EncodingFormat))
	}), withBody(r, body))
}

// v1Decode reads an OpenAI request as gin's ShouldBindJSON does, answering 400 with the decoder's
// error in OpenAI's shape when it cannot.
func v1Decode(w http.ResponseWriter, r *http.Request, v any) ([]byte, bool) {
	body, err := readJSON(r, v)
	if err != nil {
		v1Error(w, http.StatusBadRequest, err.Error())
		return nil, false
	}
	return body, true
}

func v1Error(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(openai.NewError(code, msg))
}

func v1JSON(w http.ResponseWriter, v any) error {
	w.Header().Set("Content-Type", "application/json")
	return json.NewEncoder(w).Encode(v)
}

func sse(w http.ResponseWriter, v any) error {
	d, err := json.Marshal(v)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/event-stream")
	_, err = fmt.Fprintf(w, "data: %s\n\n", d)
	return err
}

// withBody is r with the native request as its body.
func withBody(r *http.Request, body []byte) *http.Request {
	r2 := r.Clone(r.Context())
	r2.Body, r2.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
	return r2
}

// v1Writer is the native handler's ResponseWriter on a /v1 path: each line the handler writes (a
// JSON value) goes through convert to the client; under an error status it becomes an OpenAI
// error, the status kept and the error typed as a server error, as Ollama's BaseWriter.writeError
// does. The status is sent with the first bytes, so that convert sets the content type.
type v1Writer struct {
	w       http.ResponseWriter
	convert func(w http.ResponseWriter, line []byte) error
	status  int
	wrote   bool
	pending []byte
}

func v1(w http.ResponseWriter, convert func(http.ResponseWriter, []byte) error) *v1Writer {
	return &v1Writer{w: w, convert: convert, status: http.StatusOK}
}

func (v *v1Writer) Header() http.Header { return v.w.Header() }

func (v *v1Writer) WriteHeader(code int) { v.status = code }

func (v *v1Writer) Write(p []byte) (int, error) {
	v.pending = append(v.pending, p...)
	for {
		i := bytes.IndexByte(v.pending, '\n')
		if i < 0 {
			return len(p), nil
		}
		line := v.pending[:i]
		v.pending = v.pending[i+1:]
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		if err := v.line(line); err != nil {
			return 0, err
		}
	}
}

func (v *v1Writer) line(line []byte) error {
	out := &headerFirst{v: v}
	if v.status != http.StatusOK {
		var se api.StatusError
		if err := json.Unmarshal(line, &se); err != nil {
			return err
		}
		out.Header().Set("Content-Type", "application/json")
		return json.NewEncoder(out).Encode(openai.NewError(http.StatusInternalServerError, se.Error()))
	}
	return v.convert(out, line)
}

// Flush sends what was written to the client (the native handler flushes each streamed line).
func (v *v1Writer) Flush() {
	if f, ok := v.w.(http.Flusher); ok {
		f.Flush()
	}
}

// headerFirst writes the status before the first bytes.
type headerFirst struct{ v *v1Writer }

func (h *headerFirst) Header() http.Header { return h.v.w.Header() }
func (h *headerFirst) WriteHeader(int)     {}
func (h *headerFirst) Write(p []byte) (int, error) {
	if !h.v.wrote {
		h.v.wrote = true
		h.v.w.WriteHeader(h.v.status)
	}
	return h.v.w.Write(p)
}

// errorBody is an injected error's answer: Ollama's shape, and on a /v1 path the OpenAI error
// Ollama's middleware makes of it (typed as a server error, whatever the status).
func errorBody(r *http.Request, msg string) []byte {
	if !strings.HasPrefix(r.URL.Path, "/v1/") {
		return httpfault.ErrorJSON(msg)
	}
	b, _ := json.Marshal(openai.NewError(http.StatusInternalServerError, msg))
	return append(b, '\n')
}

// runnerDied is the error Ollama's llm server returns when the runner's stream breaks off
// (llm/server.go, Completion: the scanner's unexpected EOF), which the handler sends as the
// stream's last line.
const runnerDied = "an error was encountered while running the model: unexpected EOF"

// streamError is the line a stream-error fault ends an answer with, as Ollama ends it when the
// runner dies: on the native API the error line; on /v1, what Ollama's middleware makes of that
// line, which it decodes as an empty answer: a chunk with no content and no finish reason, under
// the stream's id, and then no "data: [DONE]" (middleware/openai.go, ChatWriter and
// CompleteWriter.writeResponse).
func streamError(r *http.Request, last []byte, _ string) []byte {
	if !strings.HasPrefix(r.URL.Path, "/v1/") {
		return httpfault.ErrorJSON(runnerDied)
	}
	var prev struct {
		ID string `json:"id"`
	}
	json.Unmarshal(bytes.TrimPrefix(last, []byte("data: ")), &prev)
	var chunk any
	if strings.HasPrefix(r.URL.Path, "/v1/completions") {
		chunk = openai.ToCompleteChunk(prev.ID, api.GenerateResponse{})
	} else {
		chunk = openai.ToChunk(prev.ID, api.ChatResponse{}, false)
	}
	d, _ := json.Marshal(chunk)
	return fmt.Appendf(nil, "data: %s\n\n", d)
}
