package ollama_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/shakedown-dev/shakedown/harness/ollama"
)

// BenchmarkGenerateNonStreaming measures non-streamed /api/generate with faults off and no token
// delay, over keep-alive connections from parallel clients in the same process (so client and
// server share the 2 cores). It reports requests per second.
func BenchmarkGenerateNonStreaming(b *testing.B) {
	s := ollama.NewServer(ollama.Config{Seed: 1, Tokens: 16})
	defer s.Close()
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr}
	body := `{"model":"llama3.2","prompt":"Why is the sky blue?","stream":false}`
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := hc.Post(s.URL+"/api/generate", "application/json", strings.NewReader(body))
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}
