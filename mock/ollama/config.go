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

// Model is a model the mock serves, with what it can do: Ollama reads a model's capabilities
// from its file and template; the mock's are configured.
type Model struct {
	Name string // e.g. "llama3.2" (answering as "llama3.2:latest", "library/llama3.2" ... too) or "llama3.2:1b"
	// Family and ParameterSize are reported by /api/tags and /api/show.
	Family        string
	ParameterSize string
	// EmbeddingDim is the length of its embeddings. 0: 768.
	EmbeddingDim int
	// ContextLength is the context the model was trained for, /api/show's
	// model_info["FAMILY.context_length"]. 0: 131072. A request's context is options.num_ctx, 4096
	// by default as Ollama's on a machine with less than 24 GiB of VRAM.
	ContextLength int
	// Embedding marks an embedding-only model (capabilities: embedding); it cannot write text.
	Embedding bool
	// Tools: the model can call tools (chat with tools; without it, 400 "... does not support tools").
	Tools bool
	// Thinking: the model thinks (fills message.thinking; think defaults to true). Without it,
	// think: true is a 400 "... does not support thinking".
	Thinking bool
	// Vision: the model reads images. Ollama v0.17.4 does not refuse images sent to a model
	// without it: the runner leaves them out of the prompt, and so does the mock.
	Vision bool
	// Insert: the model fills in between a prompt and a suffix (generate with suffix; without it,
	// 400 "... does not support insert").
	Insert bool
}

// numCtx is the context a request gets without options.num_ctx, as Ollama v0.17.4 sets it on a
// machine with less than 24 GiB of VRAM (server/routes.go, the default_num_ctx tiers).
const numCtx = 4096

// DefaultModels are served when Config.Models is nil: a tool-calling model, one that also fills
// in (insert), a thinking model, a vision model and an embedding model.
var DefaultModels = []Model{
	{Name: "llama3.2", Family: "llama", ParameterSize: "3.2B", EmbeddingDim: 3072, ContextLength: 131072, Tools: true},
	{Name: "qwen2.5", Family: "qwen2", ParameterSize: "7.6B", EmbeddingDim: 3584, ContextLength: 32768, Tools: true, Insert: true},
	{Name: "qwen3", Family: "qwen3", ParameterSize: "8.2B", EmbeddingDim: 4096, ContextLength: 40960, Tools: true, Thinking: true},
	{Name: "llava", Family: "llama", ParameterSize: "7B", EmbeddingDim: 4096, ContextLength: 32768, Vision: true},
	{Name: "nomic-embed-text", Family: "nomic-bert", ParameterSize: "137M", EmbeddingDim: 768, ContextLength: 2048, Embedding: true},
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
	// NumParallel is how many requests a loaded model serves at a time, as OLLAMA_NUM_PARALLEL;
	// the others wait their turn, and the wait shows in their timings. 0: 1, Ollama v0.17.4's
	// default. Negative: no limit (and no cost).
	NumParallel int
	// MaxQueue is how many requests may wait for a model that is loading, as OLLAMA_MAX_QUEUE;
	// past it a request is answered 503 "server busy, please try again.  maximum pending
	// requests exceeded". 0: 512, Ollama's default.
	MaxQueue int
	// LoadDuration is how long a model takes to load: on its first request, and on the first
	// after it was unloaded (keep_alive 0, or its keep-alive ran out). 0: at once.
	LoadDuration time.Duration
	// KeepAlive is how long a model stays loaded after its last request, unless the request's
	// keep_alive says otherwise, as OLLAMA_KEEP_ALIVE. 0: 5 minutes.
	KeepAlive time.Duration
	// SkipToolProbability is the chance that a model given tools answers in text instead of
	// calling one, drawn from the seed and the conversation. 0: it always calls one when the last
	// message is the user's.
	SkipToolProbability float64
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
	if c.MaxQueue < 0 {
		errs = append(errs, fmt.Errorf("ollama: MaxQueue = %d; want 0 (512) or more", c.MaxQueue))
	}
	if c.LoadDuration < 0 {
		errs = append(errs, fmt.Errorf("ollama: LoadDuration = %s; want 0 or more", c.LoadDuration))
	}
	if c.KeepAlive < 0 {
		errs = append(errs, fmt.Errorf("ollama: KeepAlive = %s; want 0 (5m) or more", c.KeepAlive))
	}
	if c.SkipToolProbability < 0 || c.SkipToolProbability > 1 {
		errs = append(errs, fmt.Errorf("ollama: SkipToolProbability = %g; want 0 to 1", c.SkipToolProbability))
	}
	seen := map[string]bool{}
	for i, m := range c.Models {
		key := canonical(m.Name)
		if m.Name == "" || strings.ContainsAny(m.Name, " \t\n") || seen[key] {
			errs = append(errs, fmt.Errorf("ollama: Models[%d].Name = %q; want a unique name without spaces", i, m.Name))
		}
		seen[key] = true
		if m.EmbeddingDim < 0 {
			errs = append(errs, fmt.Errorf("ollama: Models[%d].EmbeddingDim = %d; want 0 (768) or more", i, m.EmbeddingDim))
		}
		if m.ContextLength < 0 {
			errs = append(errs, fmt.Errorf("ollama: Models[%d].ContextLength = %d; want 0 (131072) or more", i, m.ContextLength))
		}
		if m.Embedding && (m.Tools || m.Thinking || m.Vision || m.Insert) {
			errs = append(errs, fmt.Errorf("ollama: Models[%d] (%s) is an embedding model with text capabilities; want one or the other", i, m.Name))
		}
	}
	return errors.Join(errs...)
}

// ParseModels reads a comma-separated list of model names, as the binary's --models flag takes.
// A name of DefaultModels takes that model's details; another name is a 1B llama that calls
// tools, or an embedding-only model (768 dimensions) when its name contains "embed". A name may
// end in capabilities after a '+': "mymodel+thinking+vision" (tools, thinking, vision, insert).
func ParseModels(s string) ([]Model, error) {
	var out []Model
	seen := map[string]bool{}
	for _, item := range strings.Split(s, ",") {
		name, capList, _ := strings.Cut(strings.TrimSpace(item), "+")
		name = strings.TrimSuffix(name, ":latest")
		if name == "" || strings.ContainsAny(name, " \t\n") {
			return nil, fmt.Errorf("models %q: an empty name or one with spaces; want names separated by commas, like llama3.2,nomic-embed-text", s)
		}
		if seen[canonical(name)] {
			return nil, fmt.Errorf("models %q: %q comes twice; want each name once", s, name)
		}
		seen[canonical(name)] = true
		m := Model{Name: name, Family: "llama", ParameterSize: "1B", ContextLength: 131072, Tools: true}
		if strings.Contains(name, "embed") {
			m = Model{Name: name, Family: "bert", ParameterSize: "137M", EmbeddingDim: 768, ContextLength: 2048, Embedding: true}
		}
		for _, d := range DefaultModels {
			if d.Name == name {
				m = d
			}
		}
		if capList != "" {
			for _, c := range strings.Split(capList, "+") {
				switch c {
				case "tools":
					m.Tools = true
				case "thinking":
					m.Thinking = true
				case "vision":
					m.Vision = true
				case "insert":
					m.Insert = true
				default:
					return nil, fmt.Errorf("models %q: %q: unknown capability %q; want tools, thinking, vision or insert, like qwen3+thinking", s, item, c)
				}
			}
			if m.Embedding {
				return nil, fmt.Errorf("models %q: %q is an embedding model; it takes no text capabilities", s, item)
			}
		}
		out = append(out, m)
	}
	return out, nil
}

// capabilities are the model's, in the order Ollama's Model.Capabilities lists them.
func (m Model) capabilities() []string {
	if m.Embedding {
		return []string{"embedding"}
	}
	caps := []string{"completion"}
	for _, c := range []struct {
		on   bool
		name string
	}{{m.Tools, "tools"}, {m.Insert, "insert"}, {m.Vision, "vision"}, {m.Thinking, "thinking"}} {
		if c.on {
			caps = append(caps, c.name)
		}
	}
	return caps
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

func (m Model) contextLength() int {
	if m.ContextLength == 0 {
		return 131072
	}
	return m.ContextLength
}

// digest is the model's stable fake digest.
func (m Model) digest() string {
	sum := sha256.Sum256([]byte("shakedown-mock-ollama/" + m.Name))
	return hex.EncodeToString(sum[:])
}

// size is the model's stable fake size in bytes.
func (m Model) size() int64 { return int64(len(m.Name))*97_000_000 + 1_000_000_000 }
