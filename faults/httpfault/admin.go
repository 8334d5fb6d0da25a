package httpfault

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// maxAdminBody caps the admin endpoint's request body.
const maxAdminBody = 1 << 20

// AdminHandler serves the injector's faults as JSON, to mount under a prefix of the caller's
// choice with http.StripPrefix (the mock Ollama uses /__shakedown/faults):
//
//	GET    /        the Snapshot: {"seed": 7, "faults": [{"fault": {...}, "decisions": 10, "injected": 3}]}
//	PUT    /        set one fault (a JSON object) or several (an array), all or none; 200 and the
//	                Snapshot, or 400 {"error": "..."} naming every problem
//	DELETE /        clear every fault; 204
//	DELETE /{name}  remove one fault; 204, or 404 if it was not set
//
// Faults are decoded strictly (unknown fields are errors); durations are strings ("250ms") and the
// probability a number (0.3) or a string ("30%").
func (in *Injector) AdminHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.Trim(r.URL.Path, "/")
		switch {
		case r.Method == http.MethodGet && name == "":
			writeJSON(w, http.StatusOK, in.Snapshot())
		case r.Method == http.MethodPut && name == "":
			b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxAdminBody))
			if err != nil {
				writeJSON(w, http.StatusBadRequest, errorJSON{fmt.Sprintf("reading the body: %v", err)})
				return
			}
			faults, err := ParseFaults(b)
			if err == nil {
				err = in.SetAll(faults)
			}
			if err != nil {
				writeJSON(w, http.StatusBadRequest, errorJSON{err.Error()})
				return
			}
			writeJSON(w, http.StatusOK, in.Snapshot())
		case r.Method == http.MethodDelete && name == "":
			in.Clear()
			w.WriteHeader(http.StatusNoContent)
		case r.Method == http.MethodDelete:
			if !in.Remove(name) {
				writeJSON(w, http.StatusNotFound, errorJSON{fmt.Sprintf("no fault named %q", name)})
				return
			}
			w.WriteHeader(http.StatusNoContent)
		case name != "":
			w.Header().Set("Allow", "DELETE")
			writeJSON(w, http.StatusMethodNotAllowed, errorJSON{fmt.Sprintf("%s /%s: use DELETE to remove a fault", r.Method, name)})
		default:
			w.Header().Set("Allow", "GET, PUT, DELETE")
			writeJSON(w, http.StatusMethodNotAllowed, errorJSON{fmt.Sprintf("%s: use GET, PUT or DELETE", r.Method)})
		}
	})
}

// errorJSON is the admin endpoint's error shape, the same as Ollama's.
type errorJSON struct {
	Error string `json:"error"`
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}
