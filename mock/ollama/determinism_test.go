package ollama_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/shakedown-dev/shakedown/faults/httpfault"
	"github.com/shakedown-dev/shakedown/mock/ollama"
)

// measured are the fields Ollama measures on its clock, and the mock too: the time a request
// waited for its model, and the total that includes it.
var measured = regexp.MustCompile(`"(load_duration|total_duration)":\d+`)

// transcript sends the same requests to a fresh server and returns every response body and the
// fault decisions, in order.
func transcript(t *testing.T, seed uint64) (string, string) {
	t.Helper()
	var decisions strings.Builder
	s := ollama.NewServer(ollama.Config{
		Seed:   seed,
		Now:    func() time.Time { return time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC) },
		Faults: []httpfault.Fault{{Name: "flaky", Probability: 0.3, Action: httpfault.Action{Kind: httpfault.KindError, PathPrefix: "/api/chat"}}},
		OnDecision: func(d httpfault.Decision) {
			fmt.Fprintf(&decisions, "%s#%d=%v ", d.Fault, d.Seq, d.Injected)
		},
	})
	defer s.Close()
	hc := &http.Client{Transport: &http.Transport{}}
	defer hc.CloseIdleConnections()
	var out bytes.Buffer
	for i := range 20 {
		for _, req := range []struct{ path, body string }{
			{"/api/generate", fmt.Sprintf(`{"model":"llama3.2","prompt":"question %d"}`, i%4)},
			{"/api/chat", fmt.Sprintf(`{"model":"qwen2.5","stream":false,"messages":[{"role":"user","content":"q%d"}]}`, i)},
			{"/api/embed", fmt.Sprintf(`{"model":"nomic-embed-text","input":"doc %d","dimensions":8}`, i)},
		} {
			resp, err := hc.Post(s.URL+req.path, "application/json", strings.NewReader(req.body))
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&out, "%s %d ", req.path, resp.StatusCode)
			b, _ := io.ReadAll(resp.Body)
			out.Write(measured.ReplaceAll(b, []byte(`"$1":MEASURED`)))
			resp.Body.Close()
		}
	}
	return out.String(), decisions.String()
}

// TestSameSeedByteIdentical: two servers with the same seed give byte-identical answers and the
// same fault decisions; another seed gives other ones.
func TestSameSeedByteIdentical(t *testing.T) {
	t.Parallel()
	a, da := transcript(t, 7)
	b, db := transcript(t, 7)
	c, dc := transcript(t, 8)
	if a != b || da != db {
		t.Errorf("seed 7 twice: answers equal %v, decisions equal %v; want both equal", a == b, da == db)
	}
	if a == c || da == dc {
		t.Errorf("seeds 7 and 8: answers equal %v, decisions equal %v; want both different", a == c, da == dc)
	}
	if !strings.Contains(a, "/api/chat 503") || !strings.Contains(a, "/api/chat 200") {
		t.Errorf("a 30%% fault over 20 chats should both fail and pass some; transcript has no mix")
	}
}
