package ollama_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/shakedown-dev/shakedown/faults/httpfault"
	"github.com/shakedown-dev/shakedown/mock/ollama"
	"github.com/shakedown-dev/shakedown/units"
)

// timedWriter records, on the synctest bubble's fake clock, when each body line was written.
type timedWriter struct {
	*httptest.ResponseRecorder
	start time.Time
	at    []time.Duration
}

func (w *timedWriter) Write(b []byte) (int, error) {
	for range strings.Count(string(b), "\n") {
		w.at = append(w.at, time.Since(w.start))
	}
	return w.ResponseRecorder.Write(b)
}

// serve runs one request through a fresh mock's handler inside the current bubble and returns
// when each line was written and the lines.
func serve(t *testing.T, cfg ollama.Config, ctx context.Context, path, body string) ([]time.Duration, []string) {
	t.Helper()
	s, err := ollama.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	w := &timedWriter{ResponseRecorder: httptest.NewRecorder(), start: time.Now()}
	s.Handler().ServeHTTP(w, httptest.NewRequestWithContext(ctx, "POST", path, strings.NewReader(body)))
	var lines []string
	sc := bufio.NewScanner(w.Body)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return w.at, lines
}

func ms(n ...int) []time.Duration {
	out := make([]time.Duration, len(n))
	for i, v := range n {
		out[i] = time.Duration(v) * time.Millisecond
	}
	return out
}

func fmtDurations(d []time.Duration) string {
	s := make([]string, len(d))
	for i, v := range d {
		s[i] = v.String()
	}
	return "[" + strings.Join(s, " ") + "]"
}

// TestTokenTiming checks on a fake clock that the mock writes its first token after
// TimeToFirstToken and the next ones TokenInterval apart, that faults add their waits on top, and
// that the durations it reports are the ones it waited.
func TestTokenTiming(t *testing.T) {
	t.Parallel()
	base := ollama.Config{Seed: 1, TimeToFirstToken: 200 * time.Millisecond, TokenInterval: 20 * time.Millisecond, Tokens: 5}
	chat := `{"model":"llama3.2","messages":[{"role":"user","content":"hi"}]}`
	withFault := func(f httpfault.Fault) ollama.Config {
		c := base
		f.Name, f.Probability = "f", 1
		c.Faults = []httpfault.Fault{f}
		return c
	}
	tests := []struct {
		name       string
		cfg        ollama.Config
		path, body string
		cancelAt   time.Duration
		want       []time.Duration
	}{
		{"streamed chat: 5 tokens and done", base, "/api/chat", chat, 0, ms(200, 220, 240, 260, 280, 280)},
		{"non-streamed generate: one answer after the whole time", base, "/api/generate", `{"model":"llama3.2","prompt":"hi","stream":false}`, 0, ms(280)},
		{"streamed generate", base, "/api/generate", `{"model":"llama3.2","prompt":"hi"}`, 0, ms(200, 220, 240, 260, 280, 280)},
		{"embed waits the time to first token", base, "/api/embed", `{"model":"nomic-embed-text","input":"x"}`, 0, ms(200)},
		{"pull: one step per interval", base, "/api/pull", `{"model":"llama3.2"}`, 0, ms(20, 40, 60, 80, 100, 120, 140)},
		{"client gone mid-stream", base, "/api/chat", chat, 250 * time.Millisecond, ms(200, 220, 240)},
		{"latency fault", withFault(httpfault.Fault{Action: httpfault.Action{Kind: httpfault.KindLatency, Delay: units.Duration(time.Second)}}), "/api/chat", chat, 0, ms(1200, 1220, 1240, 1260, 1280, 1280)},
		{"first-chunk fault", withFault(httpfault.Fault{Action: httpfault.Action{Kind: httpfault.KindFirstChunk, Delay: units.Duration(time.Second)}}), "/api/chat", chat, 0, ms(1200, 1220, 1240, 1260, 1280, 1280)},
		{"stall after 2 tokens", withFault(httpfault.Fault{Action: httpfault.Action{Kind: httpfault.KindStall, Delay: units.Duration(5 * time.Second), AfterChunks: 2}}), "/api/chat", chat, 0, ms(200, 220, 5240, 5260, 5280, 5280)},
		{"stall beyond the client's deadline", withFault(httpfault.Fault{Action: httpfault.Action{Kind: httpfault.KindStall, Delay: units.Duration(5 * time.Second), AfterChunks: 2}}), "/api/chat", chat, 3 * time.Second, ms(200, 220)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				ctx := context.Background()
				if tt.cancelAt > 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, tt.cancelAt)
					defer cancel()
				}
				at, lines := serve(t, tt.cfg, ctx, tt.path, tt.body)
				if fmtDurations(at) != fmtDurations(tt.want) {
					t.Errorf("POST %s %s: lines at %s; want %s", tt.path, tt.body, fmtDurations(at), fmtDurations(tt.want))
				}
				if tt.cancelAt > 0 || !strings.Contains(tt.path, "chat") {
					return
				}
				var last struct {
					Done               bool          `json:"done"`
					EvalCount          int           `json:"eval_count"`
					PromptEvalDuration time.Duration `json:"prompt_eval_duration"`
					EvalDuration       time.Duration `json:"eval_duration"`
					TotalDuration      time.Duration `json:"total_duration"`
				}
				if err := json.Unmarshal([]byte(lines[len(lines)-1]), &last); err != nil || !last.Done || last.EvalCount != 5 ||
					last.PromptEvalDuration != 200*time.Millisecond || last.EvalDuration != 80*time.Millisecond || last.TotalDuration != 280*time.Millisecond {
					t.Errorf("final chunk %s (%v); want done, 5 tokens, 200ms prompt eval, 80ms eval, 280ms total (the mock's own time, faults apart)", lines[len(lines)-1], err)
				}
			})
		})
	}
}
