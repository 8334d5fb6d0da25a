package ollama

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/shakedown-dev/shakedown/faults/httpfault"
)

// Model is a model the mock serves.
type Model struct {
	Name string // e.g. "llama3.2" (listed and answering as "llama3.2:latest" too) or "llama3.2:1b"
	// Family and ParameterSize are reported by /api/tags and /api/show.
	Family        string
	ParameterSize string
	// EmbeddingDim is the length of its embeddings. 0: 768.
	EmbeddingDim int
	// Embedding marks an embedding-only model (capabilities: embedding).
	Embedding bool
}

// contextLength is the context length the mock reports, and the most tokens an answer has.
const contextLength = 4096

// DefaultModels are served when Config.Models is nil.
var DefaultModels = []Model{
	{Name: "llama3.2", Family: "llama", ParameterSize: "3.2B", EmbeddingDim: 3072},
	{Name: "qwen2.5", Family: "qwen2", ParameterSize: "7.6B", EmbeddingDim: 3584},
	{Name: "nomic-embed-text", Family: "nomic-bert", ParameterSize: "137M", EmbeddingDim: 768, Embedding: true},
}

// Config configures the mock. Every zero value stands for the documented default.
type Config struct {
	// Seed decides every answer together with the request.
	Seed uint64
	// Models are the models served. nil: DefaultModels.
	Models []Model
	// TimeToFirstToken is the wait before the first token (or before a non-streamed answer's
	// first token would come). 0: none.
	TimeToFirstToken time.Duration
	// TokenInterval is the wait between tokens. 0: none.
	TokenInterval time.Duration
	// Tokens fixes the number of tokens of every answer. 0: 8 to 39, drawn from the request. A
	// request's options.num_predict cuts a longer answer there, with done_reason "length", as
	// Ollama's runner stops at it.
	Tokens int
	// Faults are set on the fault injector at start.
	Faults []httpfault.Fault
	// OnDecision receives every fault decision (for the run record).
	OnDecision func(httpfault.Decision)
	// Now is the clock for created_at. nil: time.Now.
	Now func() time.Time
}

// Validate reports every problem with c.
func (c Config) Validate() error {
	var errs []error
	if c.TimeToFirstToken < 0 {
		errs = append(errs, fmt.Errorf("ollama: TimeToFirstToken = %s; want 0 or more", c.TimeToFirstToken))
	}
	if c.TokenInterval < 0 {
		errs = append(errs, fmt.Errorf("ollama: TokenInterval = %s; want 0 or more", c.TokenInterval))
	}
	if c.Tokens < 0 {
		errs = append(errs, fmt.Errorf("ollama: Tokens = %d; want 0 (drawn per request) or more", c.Tokens))
	}
	seen := map[string]bool{}
	for i, m := range c.Models {
		if m.Name == "" || strings.ContainsAny(m.Name, " \t\n") || seen[m.Name] {
			errs = append(errs, fmt.Errorf("ollama: Models[%d].Name = %q; want a unique name without spaces", i, m.Name))
		}
		seen[m.Name] = true
		if m.EmbeddingDim < 0 {
			errs = append(errs, fmt.Errorf("ollama: Models[%d].EmbeddingDim = %d; want 0 (768) or more", i, m.EmbeddingDim))
		}
	}
	return errors.Join(errs...)
}

// ParseModels reads a comma-separated list of model names, as the binary's --models flag takes.
// A name of DefaultModels takes that model's details; another name is a 1B llama, or an
// embedding-only model (768 dimensions) when its name contains "embed".
func ParseModels(s string) ([]Model, error) {
	var out []Model
	seen := map[string]bool{}
	for _, name := range strings.Split(s, ",") {
		name = strings.TrimSuffix(strings.TrimSpace(name), ":latest")
		if name == "" || strings.ContainsAny(name, " \t\n") {
			return nil, fmt.Errorf("models %q: an empty name or one with spaces; want names separated by commas, like llama3.2,nomic-embed-text", s)
		}
		if seen[name] {
			return nil, fmt.Errorf("models %q: %q comes twice; want each name once", s, name)
		}
		seen[name] = true
		m := Model{Name: name, Family: "llama", ParameterSize: "1B"}
		if strings.Contains(name, "embed") {
			m = Model{Name: name, Family: "bert", ParameterSize: "137M", EmbeddingDim: 768, Embedding: true}
		}
		for _, d := range DefaultModels {
			if d.Name == name {
				m = d
			}
		}
		out = append(out, m)
	}
	return out, nil
}

// tagged is the model's name with its tag, as /api/tags lists it.
func (m Model) tagged() string {
	if strings.Contains(m.Name, ":") {
		return m.Name
	}
	return m.Name + ":latest"
}

func (m Model) dim() int {
	if m.EmbeddingDim == 0 {
		return 768
	}
	return m.EmbeddingDim
}

// digest is the model's stable fake digest.
func (m Model) digest() string {
	sum := sha256.Sum256([]byte("shakedown-mock-ollama/" + m.Name))
	return hex.EncodeToString(sum[:])
}

// size is the model's stable fake size in bytes.
func (m Model) size() int64 { return int64(len(m.Name))*97_000_000 + 1_000_000_000 }
