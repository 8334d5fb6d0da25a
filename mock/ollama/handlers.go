package ollama

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/ollama/ollama/api"

	"github.com/shakedown-dev/shakedown/internal/sleep"
)

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

// writeError answers in Ollama's error shape.
func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]string{"error": msg})
}

// decode reads a JSON body into v (one of Ollama's own request types, so that a decoding error
// names them as Ollama's does: "... Go struct field GenerateRequest.prompt ..."), answering 400
// like Ollama when it cannot. As gin's ShouldBindJSON, it sets no limit on the body's size.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	return decodeErr(w, json.NewDecoder(r.Body).Decode(v))
}

func decodeErr(w http.ResponseWriter, err error) bool {
	switch {
	case errors.Is(err, io.EOF):
		writeError(w, http.StatusBadRequest, "missing request body")
	case err != nil:
		writeError(w, http.StatusBadRequest, err.Error())
	default:
		return true
	}
	return false
}

// decodeRaw is decode that also returns the body.
func decodeRaw(w http.ResponseWriter, r *http.Request, v any) ([]byte, bool) {
	body, err := readJSON(r, v)
	return body, decodeErr(w, err)
}

// readJSON reads r's whole body and decodes it into v, as gin's ShouldBindJSON decodes.
func readJSON(r *http.Request, v any) ([]byte, error) {
	body, err := io.ReadAll(r.Body)
	if err == nil {
		err = json.NewDecoder(bytes.NewReader(body)).Decode(v)
	}
	return body, err
}

// toolSchemas are the tools' parameters as the request gave them, by tool name: Ollama's
// api.ToolProperty keeps only some keywords (type, enum, items, properties, anyOf), and the mock
// draws arguments valid against the whole schema (minimum, maxLength ...) as a constrained
// model's would be.
func toolSchemas(body []byte) map[string]json.RawMessage {
	var req struct {
		Tools []struct {
			Function struct {
				Name       string          `json:"name"`
				Parameters json.RawMessage `json:"parameters"`
			} `json:"function"`
		} `json:"tools"`
	}
	if json.Unmarshal(body, &req) != nil || len(req.Tools) == 0 {
		return nil
	}
	out := map[string]json.RawMessage{}
	for _, t := range req.Tools {
		out[t.Function.Name] = t.Function.Parameters
	}
	return out
}

type schemasKey struct{}

// missing is how one endpoint of Ollama (0.17.4) answers a request that names no model, or a
// model it does not have: the codes and texts differ from endpoint to endpoint.
type missing struct {
	invalidCode int
	invalid     string // the answer to an empty or invalid name; "" means unknownf with the name
	unknownCode int
	unknownf    string // the answer to an unknown model, formatted with its name
}

var (
	missingGenerate = missing{http.StatusNotFound, "", http.StatusNotFound, "model '%s' not found"}                    // routes.go:200-227
	missingChat     = missing{http.StatusBadRequest, "model is required", http.StatusNotFound, "model '%s' not found"} // routes.go:2000-2024
	missingShow     = missingChat                                                                                      // routes.go:1076-1086
	missingEmbed    = missing{http.StatusBadRequest, "model is required", http.StatusNotFound, "model %q not found, try pulling it first"}
	missingDelete   = missing{http.StatusBadRequest, "name %q is invalid", http.StatusNotFound, "model '%s' not found"} // routes.go:1027-1034
)

// find resolves the requested model, answering like Ollama's endpoint when it cannot.
func (s *Server) find(w http.ResponseWriter, name string, how missing) (Model, bool) {
	if canonical(name) == "" && how.invalid != "" {
		msg := how.invalid
		if strings.Contains(msg, "%") {
			msg = fmt.Sprintf(msg, name)
		}
		writeError(w, how.invalidCode, msg)
		return Model{}, false
	}
	m, ok := s.model(name)
	if !ok {
		msg := how.unknownf
		if strings.Contains(msg, "%") {
			msg = fmt.Sprintf(msg, name)
		}
		writeError(w, how.unknownCode, msg)
	}
	return m, ok
}

func details(m Model) api.ModelDetails {
	return api.ModelDetails{Format: "gguf", Family: m.Family, Families: []string{m.Family}, ParameterSize: m.ParameterSize, QuantizationLevel: "Q4_K_M"}
}

func (s *Server) handleTags(w http.ResponseWriter, _ *http.Request) {
	all := s.models()
	models := make([]api.ListModelResponse, 0, len(all))
	for _, m := range all {
		models = append(models, api.ListModelResponse{Name: m.tagged(), Model: m.tagged(), ModifiedAt: modifiedAt, Size: m.size(), Digest: m.digest(), Details: details(m)})
	}
	writeJSON(w, http.StatusOK, api.ListResponse{Models: models})
}

// handlePS lists the loaded models only, as Ollama's PsHandler lists its runners: none before the
// first request, and none after a keep_alive of 0 or once the keep-alive ran out.
func (s *Server) handlePS(w http.ResponseWriter, _ *http.Request) {
	models := []api.ProcessModelResponse{}
	for _, l := range s.sched.loaded(s.models()) {
		m := l.model
		models = append(models, api.ProcessModelResponse{Name: m.tagged(), Model: m.tagged(), Size: m.size(), Digest: m.digest(),
			Details: details(m), ExpiresAt: l.expiresAt, SizeVRAM: m.size(), ContextLength: numCtx})
	}
	writeJSON(w, http.StatusOK, api.ProcessResponse{Models: models})
}

func (s *Server) handleShow(w http.ResponseWriter, r *http.Request) {
	var req api.ShowRequest
	if !decode(w, r, &req) {
		return
	}
	//lint:ignore SA1019 Ollama reads the deprecated name too (cmp.Or(req.Model, req.Name) in its handlers)
	m, ok := s.find(w, cmp.Or(req.Model, req.Name), missingShow)
	if !ok {
		return
	}
	info := map[string]any{
		"general.architecture":             m.Family,
		"general.parameter_count":          m.size() / 2,
		m.Family + ".context_length":       m.contextLength(),
		m.Family + ".embedding_length":     m.dim(),
		m.Family + ".block_count":          32,
		m.Family + ".attention.head_count": 32,
	}
	writeJSON(w, http.StatusOK, api.ShowResponse{
		Modelfile:    "# Modelfile of the Shakedown mock\nFROM " + m.Name + "\n",
		Parameters:   "temperature 0",
		Template:     "{{ .Prompt }}",
		Details:      details(m),
		ModelInfo:    info,
		Capabilities: caps(m),
		ModifiedAt:   modifiedAt,
	})
}

func (s *Server) handleEmbed(w http.ResponseWriter, r *http.Request) {
	var req api.EmbedRequest
	if !decode(w, r, &req) {
		return
	}
	var inputs []string
	switch in := req.Input.(type) { // routes.go:679-696
	case string:
		if in != "" {
			inputs = []string{in}
		}
	case []any:
		for _, x := range in {
			str, ok := x.(string)
			if !ok {
				writeError(w, http.StatusBadRequest, "invalid input type")
				return
			}
			inputs = append(inputs, str)
		}
	case nil:
	default:
		writeError(w, http.StatusBadRequest, "invalid input type")
		return
	}
	m, ok := s.find(w, req.Model, missingEmbed)
	if !ok {
		return
	}
	start := time.Now()
	release, err := s.sched.acquire(r.Context(), m, keepAlive(req.KeepAlive))
	if err != nil {
		scheduleError(w, err)
		return
	}
	defer release()
	if len(inputs) == 0 { // routes.go:714, once the model is loaded
		writeJSON(w, http.StatusOK, api.EmbedResponse{Model: req.Model, Embeddings: [][]float32{}})
		return
	}
	dim := m.dim()
	if req.Dimensions > 0 && req.Dimensions < dim {
		dim = req.Dimensions
	}
	resp := api.EmbedResponse{Model: req.Model, Embeddings: make([][]float32, 0, len(inputs)), PromptEvalCount: promptTokens(inputs...)}
	for _, in := range inputs {
		v := s.embedding(m.Name, in, dim)
		f := make([]float32, len(v))
		for i := range v {
			f[i] = float32(v[i])
		}
		resp.Embeddings = append(resp.Embeddings, f)
	}
	if !s.wait(r, s.cfg.TimeToFirstToken) {
		return
	}
	resp.LoadDuration = time.Since(start) - s.cfg.TimeToFirstToken
	resp.TotalDuration = resp.LoadDuration + s.cfg.TimeToFirstToken
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) handleEmbeddings(w http.ResponseWriter, r *http.Request) {
	var req api.EmbeddingRequest
	if !decode(w, r, &req) {
		return
	}
	m, ok := s.find(w, req.Model, missingEmbed)
	if !ok {
		return
	}
	if req.Prompt == "" { // Ollama loads the model and answers an empty embedding
		writeJSON(w, http.StatusOK, map[string]any{"embedding": []float64{}})
		return
	}
	release, err := s.sched.acquire(r.Context(), m, keepAlive(req.KeepAlive))
	if err != nil {
		scheduleError(w, err)
		return
	}
	defer release()
	if !s.wait(r, s.cfg.TimeToFirstToken) {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"embedding": s.embedding(m.Name, req.Prompt, m.dim())})
}

// scheduleError answers a scheduler's refusal as Ollama's handleScheduleError does.
func scheduleError(w http.ResponseWriter, err error) {
	if errors.Is(err, errMaxQueue) {
		writeError(w, http.StatusServiceUnavailable, err.Error())
		return
	}
	writeError(w, 499, "request canceled")
}

// wait sleeps d unless the request ends first, reporting whether it waited the whole d.
func (s *Server) wait(r *http.Request, d time.Duration) bool {
	return d <= 0 || sleep.For(r.Context(), d)
}

// streamer writes NDJSON, one flushed line per value.
type streamer struct {
	w   http.ResponseWriter
	enc *json.Encoder
	rc  *http.ResponseController
}

func newStreamer(w http.ResponseWriter) *streamer {
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.WriteHeader(http.StatusOK)
	return &streamer{w: w, enc: json.NewEncoder(w), rc: http.NewResponseController(w)}
}

func (s *streamer) send(v any) error {
	if err := s.enc.Encode(v); err != nil {
		return err
	}
	return s.rc.Flush()
}
