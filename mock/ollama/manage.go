package ollama

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/ollama/ollama/api"
)

// The model-management endpoints: pull, push, create, copy, delete and blobs, as Ollama v0.17.4
// answers them for the models the mock serves (it has no registry and keeps no model files).

// progressStream answers a pull, push or create: the steps streamed as NDJSON, or, with
// "stream": false, the last one (or the error, a 500 unless status says otherwise), as Ollama's
// streamResponse and waitForStream do. fail, if not "", ends the steps with an error line.
func (s *Server) progressStream(w http.ResponseWriter, r *http.Request, stream *bool, steps []api.ProgressResponse, fail string, status int) {
	if !streaming(stream) {
		if !s.wait(r, time.Duration(len(steps))*s.cfg.TokenInterval) {
			return
		}
		if fail != "" {
			writeError(w, cmp.Or(status, http.StatusInternalServerError), fail)
			return
		}
		writeJSON(w, http.StatusOK, steps[len(steps)-1])
		return
	}
	if fail != "" && len(steps) == 0 {
		writeError(w, cmp.Or(status, http.StatusInternalServerError), fail)
		return
	}
	st := newStreamer(w)
	for _, p := range steps {
		if !s.wait(r, s.cfg.TokenInterval) || st.send(p) != nil {
			return
		}
	}
	if fail != "" {
		st.send(map[string]string{"error": fail})
	}
}

// handlePull streams a configured model's pull; an unknown model's pull answers 200, "pulling
// manifest", then the registry's error line, as Ollama's does for a name the registry lacks.
func (s *Server) handlePull(w http.ResponseWriter, r *http.Request) {
	var req api.PullRequest
	if !decode(w, r, &req) {
		return
	}
	//lint:ignore SA1019 Ollama reads the deprecated name too (cmp.Or(req.Model, req.Name) in its handlers)
	name := cmp.Or(req.Model, req.Name)
	if canonical(name) == "" { // routes.go:895
		writeError(w, http.StatusBadRequest, "invalid model name")
		return
	}
	m, ok := s.model(name)
	if !ok {
		s.progressStream(w, r, req.Stream, []api.ProgressResponse{{Status: "pulling manifest"}}, "pull model manifest: file does not exist", 0)
		return
	}
	total, d := m.size(), m.digest()
	s.progressStream(w, r, req.Stream, []api.ProgressResponse{
		{Status: "pulling manifest"},
		{Status: "pulling " + d[:12], Digest: "sha256:" + d, Total: total, Completed: 0},
		{Status: "pulling " + d[:12], Digest: "sha256:" + d, Total: total, Completed: total / 2},
		{Status: "pulling " + d[:12], Digest: "sha256:" + d, Total: total, Completed: total},
		{Status: "verifying sha256 digest"},
		{Status: "writing manifest"},
		{Status: "success"},
	}, "", 0)
}

// handlePush: the mock has no registry to push to. It answers as Ollama does up to the registry,
// then with an error line that says so (a stated difference).
func (s *Server) handlePush(w http.ResponseWriter, r *http.Request) {
	var req api.PushRequest
	if !decode(w, r, &req) {
		return
	}
	//lint:ignore SA1019 Ollama reads the deprecated name too (cmp.Or(req.Model, req.Name) in its handlers)
	name := cmp.Or(req.Model, req.Name)
	if name == "" { // routes.go:950
		writeError(w, http.StatusBadRequest, "model is required")
		return
	}
	if _, ok := s.model(name); !ok {
		s.progressStream(w, r, req.Stream, []api.ProgressResponse{{Status: "retrieving manifest"}}, "open "+name+": no such file or directory", 0)
		return
	}
	s.progressStream(w, r, req.Stream, []api.ProgressResponse{{Status: "retrieving manifest"}}, "the Shakedown mock has no registry to push to", 0)
}

// handleCreate creates a model from a served one ("from"), streaming Ollama's progress; the new
// model is then served with the capabilities of the one it came from.
func (s *Server) handleCreate(w http.ResponseWriter, r *http.Request) {
	var req api.CreateRequest
	if !decode(w, r, &req) {
		return
	}
	//lint:ignore SA1019 Ollama reads the deprecated name too (cmp.Or(req.Model, req.Name) in its handlers)
	name := cmp.Or(req.Model, req.Name)
	if canonical(name) == "" { // create.go:76
		writeError(w, http.StatusBadRequest, "invalid model name")
		return
	}
	if req.From == "" {
		s.progressStream(w, r, req.Stream, nil, "neither 'from' or 'files' was specified", http.StatusBadRequest)
		return
	}
	from, ok := s.model(req.From)
	if !ok {
		if canonical(req.From) == "" {
			s.progressStream(w, r, req.Stream, nil, "invalid model name", http.StatusBadRequest)
			return
		}
		s.progressStream(w, r, req.Stream, []api.ProgressResponse{{Status: "pulling manifest"}}, "pull model manifest: file does not exist", 0)
		return
	}
	nm := from
	nm.Name = strings.TrimSuffix(name, ":latest")
	s.addModel(nm)
	s.progressStream(w, r, req.Stream, []api.ProgressResponse{
		{Status: "using existing layer sha256:" + from.digest()},
		{Status: "writing manifest"},
		{Status: "success"},
	}, "", 0)
}

// handleCopy copies a served model to a new name (200 and no body, as Ollama's CopyHandler).
func (s *Server) handleCopy(w http.ResponseWriter, r *http.Request) {
	var req api.CopyRequest
	if !decode(w, r, &req) {
		return
	}
	if canonical(req.Source) == "" { // routes.go:1379
		writeError(w, http.StatusBadRequest, fmt.Sprintf("source %q is invalid", req.Source))
		return
	}
	if canonical(req.Destination) == "" { // routes.go:1390
		writeError(w, http.StatusBadRequest, fmt.Sprintf("destination %q is invalid", req.Destination))
		return
	}
	m, ok := s.model(req.Source)
	if !ok { // routes.go:1400
		writeError(w, http.StatusNotFound, fmt.Sprintf("model %q not found", req.Source))
		return
	}
	m.Name = strings.TrimSuffix(req.Destination, ":latest")
	s.addModel(m)
	w.WriteHeader(http.StatusOK)
}

// handleDelete stops serving a model (200 and no body, as Ollama's DeleteHandler).
func (s *Server) handleDelete(w http.ResponseWriter, r *http.Request) {
	var req api.DeleteRequest
	if !decode(w, r, &req) {
		return
	}
	//lint:ignore SA1019 Ollama reads the deprecated name too (cmp.Or(req.Model, req.Name) in its handlers)
	m, ok := s.find(w, cmp.Or(req.Model, req.Name), missingDelete)
	if !ok {
		return
	}
	s.removeModel(m)
	w.WriteHeader(http.StatusOK)
}

var digestFormat = regexp.MustCompile(`^sha256[:-][0-9a-fA-F]{64}$`) // manifest/paths.go

// handleHeadBlob and handleCreateBlob keep the digests of the blobs uploaded (not their bytes).
func (s *Server) handleHeadBlob(w http.ResponseWriter, r *http.Request) {
	d := r.PathValue("digest")
	if !digestFormat.MatchString(d) {
		writeError(w, http.StatusBadRequest, "invalid digest format")
		return
	}
	if !s.hasBlob(d) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("blob %q not found", d))
		return
	}
	w.WriteHeader(http.StatusOK)
}

func (s *Server) handleCreateBlob(w http.ResponseWriter, r *http.Request) {
	d := r.PathValue("digest")
	if !digestFormat.MatchString(d) {
		writeError(w, http.StatusBadRequest, "invalid digest format")
		return
	}
	if s.hasBlob(d) {
		w.WriteHeader(http.StatusOK)
		return
	}
	h := sha256.New()
	if _, err := io.Copy(h, r.Body); err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	got := "sha256:" + hex.EncodeToString(h.Sum(nil))
	if !strings.EqualFold(strings.Replace(d, "-", ":", 1), got) {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("digest mismatch, expected %q, got %q", d, got))
		return
	}
	s.addBlob(d)
	w.WriteHeader(http.StatusCreated)
}
