package ollama

import (
	"bufio"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzHandlers: no request body panics the mock; every answer has one of the codes Ollama would
// give, and every line of every body is a JSON value (an NDJSON chunk, an answer or an error).
func FuzzHandlers(f *testing.F) {
	for _, s := range []string{
		`{"model":"llama3.2","prompt":"hi","stream":false}`,
		`{"model":"llama3.2","messages":[{"role":"user","content":"x"}],"options":{"num_predict":3}}`,
		`{"model":"nomic-embed-text","input":["a",1]}`,
		`{"model":"nomic-embed-text","input":{"x":1},"dimensions":-5}`,
		`{"model":"nomic-embed-text","input":["a","b"],"dimensions":3}`,
		`{"model":"llama3.2","options":{"num_predict":1e300}}`,
		`{"model":"llama3.2:latest","prompt":"` + strings.Repeat("word ", 50) + `"}`,
		`{"name":"qwen2.5","stream":true}`,
		`{`, `null`, `[]`, `{"model":null}`, `""`, `{"model":"llama3.2","messages":null,"stream":false}`,
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
			switch {
			case w.Code == 200 || w.Code == 400 || w.Code == 404:
			case w.Code == 500 && p == "/api/pull": // an unknown model, as Ollama answers it
			default:
				t.Errorf("POST %s %q = %d", p, body, w.Code)
			}
			sc := bufio.NewScanner(w.Body)
			sc.Buffer(nil, 1<<20)
			for sc.Scan() {
				if !json.Valid(sc.Bytes()) {
					t.Errorf("POST %s %q: line %q is not JSON", p, body, sc.Text())
				}
			}
		}
	})
}
