package ollama

import (
	"strings"

	"github.com/ollama/ollama/types/model"
)

// canonical is a model name as Ollama compares names: parsed by Ollama's own model.ParseName
// (host registry.ollama.ai, namespace library and tag latest filled in) and folded to lower
// case, so "LLAMA3.2", "library/llama3.2" and "registry.ollama.ai/library/llama3.2:latest" name
// the same model. An invalid name is "".
func canonical(name string) string {
	n := model.ParseName(name)
	if !n.IsValid() {
		return ""
	}
	return strings.ToLower(n.String())
}

// fullName is the name Ollama puts in a capability error: "registry.ollama.ai/library/x:latest".
func fullName(name string) string { return model.ParseName(name).String() }

// model finds a served model by name, as Ollama's getExistingName does (case aside, with the
// defaults of a name filled in).
func (s *Server) model(name string) (Model, bool) {
	if m, ok := s.lookup(name); ok { // a name as served ("llama3.2", "llama3.2:latest"): no parsing
		return m, true
	}
	c := canonical(name)
	if c == "" {
		return Model{}, false
	}
	return s.lookup(c)
}
