package ollama

import (
	"hash/fnv"
	"math"
	"math/rand/v2"
	"strings"
)

// vocabulary is what the mock's answers are made of.
var vocabulary = strings.Fields(`the a resilient service answers every request within its budget while
circuit breakers open and close retries recover transient faults and fallbacks keep users served
latency grows under load so bulkheads isolate slow dependencies from fast ones error budgets burn
slowly until an outage spends them at once recovery brings availability back to the objective`)

// rng returns a generator seeded from the server's seed and the parts of a request.
func (s *Server) rng(parts ...string) *rand.Rand {
	h := fnv.New64a()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return rand.New(rand.NewPCG(s.cfg.Seed, h.Sum64()))
}

// tokens returns the answer's tokens: each a word with its leading space.
// tokens returns an answer's tokens: as many as drawn from the request (or Config.Tokens),
// ending a sentence, cut after numPredict when that is fewer (cut: Ollama's done_reason
// "length"; the cut answer is the start of the whole one, as a model's would be).
func (s *Server) tokens(model, prompt string, numPredict int) (out []string, cut bool) {
	r := s.rng("text", model, prompt)
	n := 8 + r.IntN(32)
	if s.cfg.Tokens > 0 {
		n = s.cfg.Tokens
	}
	out = make([]string, n)
	for i := range out {
		w := vocabulary[r.IntN(len(vocabulary))]
		if i == 0 {
			w = strings.ToUpper(w[:1]) + w[1:]
		} else {
			w = " " + w
		}
		out[i] = w
	}
	out[n-1] += "."
	if numPredict > 0 && numPredict < n {
		return out[:numPredict], true
	}
	return out, false
}

// embedding returns a unit vector of dim dimensions for the input.
func (s *Server) embedding(model, input string, dim int) []float64 {
	r := s.rng("embed", model, input)
	v := make([]float64, dim)
	var norm float64
	for i := range v {
		v[i] = r.NormFloat64()
		norm += v[i] * v[i]
	}
	norm = math.Sqrt(norm)
	for i := range v {
		v[i] /= norm
	}
	return v
}

// promptTokens counts a prompt's tokens the way the mock does: by words, at least one.
func promptTokens(texts ...string) int {
	n := 0
	for _, t := range texts {
		n += len(strings.Fields(t))
	}
	return max(n, 1)
}
