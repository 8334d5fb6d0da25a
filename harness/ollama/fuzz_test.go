package ollama

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzHandlers: no request body panics the mock, and every answer is a valid status.
func FuzzHandlers(f *testing.F) {
	for _, s := range []string{
		`{"model":"llama3.2","prompt":"hi","stream":false}`,
		`{"model":"llama3.2","messages":[{"role":"user","content":"x"}],"options":{"num_predict":3}}`,
		`{"model":"nomic-embed-text","input":["a",1]}`,
		`{"model":"nomic-embed-text","input":{"x":1},"dimensions":-5}`,
		`{"model":"llama3.2","options":{"num_predict":1e300}}`,
		`{`, `null`, `[]`, `{"model":null}`,
	} {
		f.Add(s)
	}
	s, err := New(Config{Seed: 1})
	if err != nil {
		f.Fatal(err)
	}
	h := s.Handler()
	paths := []string{"/api/generate", "/api/chat", "/api/embed", "/api/embeddings", "/api/show", "/api/pull"}
	f.Fuzz(func(t *testing.T, body string) {
		for _, p := range paths {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, p, strings.NewReader(body)))
			if w.Code != 200 && w.Code != 400 && w.Code != 404 {
				t.Errorf("POST %s %q = %d", p, body, w.Code)
			}
		}
	})
}
