package ollama_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/shakedown-dev/shakedown/faults/httpfault"
	"github.com/shakedown-dev/shakedown/mock/ollama"
)

// benchPost sends body to path on a fresh mock from parallel keep-alive clients in the same
// process (client and server share the machine's cores, so the figure is a floor) and reports
// requests per second.
func benchPost(b *testing.B, cfg ollama.Config, path, body string) {
	s := ollama.NewServer(cfg)
	defer s.Close()
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr}
	b.SetParallelism(8)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := hc.Post(s.URL+path, "application/json", strings.NewReader(body))
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Errorf("POST %s = %d", path, resp.StatusCode)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

// BenchmarkGenerateNonStreaming is the mock's throughput goal: non-streamed /api/generate with
// faults off, no token delay and the parallelism lifted (NumParallel -1) must sustain 10,000
// requests/s on the 2-core machine. ollama-parallelism-1 is Ollama's default, every answer in
// turn: the queue's cost when it is there. The
// one-fault-drawn case adds a fault that matches every request and is never injected: the cost
// of the fault layer during a chaos run.
func BenchmarkGenerateNonStreaming(b *testing.B) {
	body := `{"model":"llama3.2","prompt":"Why is the sky blue?","stream":false}`
	b.Run("faults-off", func(b *testing.B) {
		benchPost(b, ollama.Config{Seed: 1, Tokens: 16, NumParallel: -1}, "/api/generate", body)
	})
	b.Run("one-fault-drawn", func(b *testing.B) {
		benchPost(b, ollama.Config{Seed: 1, Tokens: 16, NumParallel: -1, Faults: []httpfault.Fault{{Name: "f", Probability: 0, Action: httpfault.Action{Kind: httpfault.KindError}}}}, "/api/generate", body)
	})
	b.Run("ollama-parallelism-1", func(b *testing.B) { // Ollama's default: one answer at a time, the rest queued
		benchPost(b, ollama.Config{Seed: 1, Tokens: 16}, "/api/generate", body)
	})
}

// BenchmarkChatStreaming measures streamed /api/chat (16 tokens and the done chunk, each a
// flushed NDJSON line) with no token delay.
func BenchmarkChatStreaming(b *testing.B) {
	benchPost(b, ollama.Config{Seed: 1, Tokens: 16, NumParallel: -1}, "/api/chat", `{"model":"llama3.2","messages":[{"role":"user","content":"Why is the sky blue?"}]}`)
}

// BenchmarkEmbed measures /api/embed of one input into 768 dimensions.
func BenchmarkEmbed(b *testing.B) {
	benchPost(b, ollama.Config{Seed: 1, NumParallel: -1}, "/api/embed", `{"model":"nomic-embed-text","input":"Why is the sky blue?"}`)
}
