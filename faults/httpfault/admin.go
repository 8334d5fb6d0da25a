package httpfault

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// AdminHandler serves the injector's faults as JSON, to mount under a prefix of the caller's
// choice (the mock Ollama uses /__shakedown/faults):
//
//	GET    /        the faults set, as a JSON array
//	PUT    /        set one fault (a JSON object) or several (an array); 400 with every problem
//	DELETE /        clear every fault
//	DELETE /{name}  remove one fault; 404 if it was not set
func (in *Injector) AdminHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.Trim(r.URL.Path, "/")
		switch {
		case r.Method == http.MethodGet && name == "":
			writeJSON(w, http.StatusOK, in.Faults())
		case r.Method == http.MethodPut && name == "":
			faults, err := decodeFaults(r.Body)
			if err == nil {
				for _, f := range faults {
					if err = f.Validate(); err != nil {
						break
					}
				}
			}
			if err != nil {
				writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
				return
			}
			for _, f := range faults {
				in.Set(f)
			}
			writeJSON(w, http.StatusOK, in.Faults())
		case r.Method == http.MethodDelete && name == "":
			in.Clear()
			w.WriteHeader(http.StatusNoContent)
		case r.Method == http.MethodDelete:
			if !in.Remove(name) {
				writeJSON(w, http.StatusNotFound, map[string]string{"error": fmt.Sprintf("no fault named %q", name)})
				return
			}
			w.WriteHeader(http.StatusNoContent)
		default:
			writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "use GET, PUT or DELETE"})
		}
	})
}

// decodeFaults reads one fault or an array of them, strictly.
func decodeFaults(r io.Reader) ([]Fault, error) {
	b, err := io.ReadAll(io.LimitReader(r, 1<<20))
	if err != nil {
		return nil, err
	}
	dec := func(v any) error {
		d := json.NewDecoder(strings.NewReader(string(b)))
		d.DisallowUnknownFields()
		return d.Decode(v)
	}
	if t := strings.TrimSpace(string(b)); strings.HasPrefix(t, "[") {
		var fs []Fault
		if err := dec(&fs); err != nil {
			return nil, fmt.Errorf("faults: %w", err)
		}
		return fs, nil
	}
	var f Fault
	if err := dec(&f); err != nil {
		return nil, fmt.Errorf("fault: %w", err)
	}
	return []Fault{f}, nil
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}
