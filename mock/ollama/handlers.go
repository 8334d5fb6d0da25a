package ollama

import (
	"github.com/shakedown-dev/shakedown/internal/clock"

	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

func (s *Server) routes() http.Handler {
	api := http.NewServeMux()
	running := func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "Ollama is running") }
	api.HandleFunc("GET /{$}", running)
	api.HandleFunc("HEAD /{$}", running)
	api.HandleFunc("GET /api/version", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"version": Version})
	})
	api.HandleFunc("GET /api/tags", s.handleTags)
	api.HandleFunc("GET /api/ps", s.handlePS)
	api.HandleFunc("POST /api/show", s.handleShow)
	api.HandleFunc("POST /api/generate", s.handleGenerate)
	api.HandleFunc("POST /api/chat", s.handleChat)
	api.HandleFunc("POST /api/embed", s.handleEmbed)
	api.HandleFunc("POST /api/embeddings", s.handleEmbeddings)
	api.HandleFunc("POST /api/pull", s.handlePull)
	s.openAIRoutes(api)
	api.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) { // as Ollama's router answers
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, "404 page not found")
	})

	root := http.NewServeMux()
	root.Handle(FaultsPath+"/", http.StripPrefix(FaultsPath, s.faults.AdminHandler()))
	root.Handle(FaultsPath, http.StripPrefix(FaultsPath, s.faults.AdminHandler()))
	root.Handle("/", s.faults.Middleware(api))
	return root
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

// writeError answers in Ollama's error shape.
func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]string{"error": msg})
}

// decode reads a JSON body into v, answering 400 like Ollama when it cannot.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	err := json.NewDecoder(io.LimitReader(r.Body, 32<<20)).Decode(v)
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

// missing is how one endpoint of Ollama (0.17.4) answers a request that names no model, or a
// model it does not have: the codes and texts differ from endpoint to endpoint.
type missing struct {
	noneCode    int
	none        string // the answer to no model; "" means unknownf with an empty name
	unknownCode int
	unknownf    string // the answer to an unknown model, formatted with its name
}

var (
	missingGenerate = missing{http.StatusNotFound, "", http.StatusNotFound, "model '%s' not found"}
	missingChat     = missing{http.StatusBadRequest, "model is required", http.StatusNotFound, "model '%s' not found"}
	missingShow     = missingChat
	missingEmbed    = missing{http.StatusBadRequest, "model is required", http.StatusNotFound, "model %q not found, try pulling it first"}
	missingPull     = missing{http.StatusBadRequest, "invalid model name", http.StatusInternalServerError, "pull model manifest: file does not exist"}
)

// find resolves the requested model, answering like Ollama's endpoint when it cannot.
func (s *Server) find(w http.ResponseWriter, name string, how missing) (Model, bool) {
	if name == "" && how.none != "" {
		writeError(w, how.noneCode, how.none)
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

func details(m Model) modelDetails {
	return modelDetails{Format: "gguf", Family: m.Family, Families: []string{m.Family}, ParameterSize: m.ParameterSize, QuantizationLevel: "Q4_K_M"}
}

func (s *Server) handleTags(w http.ResponseWriter, _ *http.Request) {
	models := make([]listModel, 0, len(s.cfg.Models))
	for _, m := range s.cfg.Models {
		models = append(models, listModel{Name: m.tagged(), Model: m.tagged(), ModifiedAt: modifiedAt, Size: m.size(), Digest: m.digest(), Details: details(m)})
	}
	writeJSON(w, http.StatusOK, map[string]any{"models": models})
}

func (s *Server) handlePS(w http.ResponseWriter, _ *http.Request) {
	models := make([]processModel, 0, len(s.cfg.Models))
	for _, m := range s.cfg.Models {
		models = append(models, processModel{Name: m.tagged(), Model: m.tagged(), Size: m.size(), Digest: m.digest(),
			Details: details(m), ExpiresAt: s.cfg.Now().Add(5 * time.Minute).UTC(), SizeVRAM: m.size(), ContextLength: contextLength})
	}
	writeJSON(w, http.StatusOK, map[string]any{"models": models})
}

func (s *Server) handleShow(w http.ResponseWriter, r *http.Request) {
	var req showRequest
	if !decode(w, r, &req) {
		return
	}
	m, ok := s.find(w, cmp.Or(req.Model, req.Name), missingShow)
	if !ok {
		return
	}
	caps := []string{"completion"}
	if m.Embedding {
		caps = []string{"embedding"}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"modelfile":    "# Modelfile of the Shakedown mock\nFROM " + m.Name + "\n",
		"parameters":   "temperature 0",
		"template":     "{{ .Prompt }}",
		"details":      details(m),
		"model_info":   map[string]any{"general.architecture": m.Family, "general.parameter_count": m.size() / 2, m.Family + ".embedding_length": m.dim()},
		"capabilities": caps,
		"modified_at":  modifiedAt,
	})
}

func (s *Server) handleEmbed(w http.ResponseWriter, r *http.Request) {
	var req embedRequest
	if !decode(w, r, &req) {
		return
	}
	m, ok := s.find(w, req.Model, missingEmbed)
	if !ok {
		return
	}
	var inputs []string
	switch in := req.Input.(type) {
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
		inputs = nil
	default:
		writeError(w, http.StatusBadRequest, "invalid input type")
		return
	}
	dim := m.dim()
	if req.Dimensions > 0 && req.Dimensions < dim {
		dim = req.Dimensions
	}
	resp := embedResponse{Model: req.Model, Embeddings: make([][]float32, 0, len(inputs))}
	if len(inputs) > 0 {
		resp.PromptEvalCount = promptTokens(inputs...)
	}
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
	resp.TotalDuration = s.cfg.TimeToFirstToken
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) handleEmbeddings(w http.ResponseWriter, r *http.Request) {
	var req embeddingsRequest
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
	if !s.wait(r, s.cfg.TimeToFirstToken) {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"embedding": s.embedding(m.Name, req.Prompt, m.dim())})
}

func (s *Server) handlePull(w http.ResponseWriter, r *http.Request) {
	var req pullRequest
	if !decode(w, r, &req) {
		return
	}
	m, ok := s.find(w, cmp.Or(req.Model, req.Name), missingPull)
	if !ok {
		return
	}
	total := m.size()
	steps := []progress{
		{Status: "pulling manifest"},
		{Status: "pulling " + m.digest()[:12], Digest: "sha256:" + m.digest(), Total: total, Completed: 0},
		{Status: "pulling " + m.digest()[:12], Digest: "sha256:" + m.digest(), Total: total, Completed: total / 2},
		{Status: "pulling " + m.digest()[:12], Digest: "sha256:" + m.digest(), Total: total, Completed: total},
		{Status: "verifying sha256 digest"},
		{Status: "writing manifest"},
		{Status: "success"},
	}
	if req.Stream != nil && !*req.Stream {
		writeJSON(w, http.StatusOK, steps[len(steps)-1])
		return
	}
	st := newStreamer(w)
	for _, p := range steps {
		if !s.wait(r, s.cfg.TokenInterval) || st.send(p) != nil {
			return
		}
	}
}

// wait sleeps d unless the request ends first, reporting whether it waited the whole d.
func (s *Server) wait(r *http.Request, d time.Duration) bool {
	return d <= 0 || clock.Sleep(r.Context(), d)
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
