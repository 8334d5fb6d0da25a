package ollama

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"

	"github.com/ollama/ollama/api"
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

// sentence draws n words (8 to 39 when n is 0) as tokens, each word with its leading space,
// the first capitalised and the last ending the sentence.
func sentence(r *rand.Rand, n int) []string {
	if n <= 0 {
		n = 8 + r.IntN(32)
	}
	out := make([]string, n)
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
	return out
}

// jsonTokens cuts a JSON text into tokens as a model emits them: words, numbers and punctuation.
var jsonToken = regexp.MustCompile(`\s*(?:[A-Za-z0-9_.+-]+|\\.|[^\sA-Za-z0-9_.+-])`)

func splitTokens(text string) []string { return jsonToken.FindAllString(text, -1) }

// jsonAnswer is the text of an answer in format "json" (any object) or a JSON Schema (a
// document valid against it), drawn from r.
func jsonAnswer(r *rand.Rand, format json.RawMessage) string {
	var schema any = map[string]any{"type": "object", "properties": map[string]any{"answer": map[string]any{"type": "string"}}, "required": []any{"answer"}}
	if string(format) != `"json"` {
		json.Unmarshal(format, &schema)
	}
	g := schemaGen{r: r, root: schema}
	b, _ := json.Marshal(g.value(schema, 0))
	return string(b)
}

// schemaGen draws a document valid against a JSON Schema: the keywords structured-output
// schemas use (type, properties, required, items, enum, const, anyOf/oneOf/allOf's first, $ref
// to $defs or definitions, minItems/maxItems, minimum/maximum, minLength/maxLength).
type schemaGen struct {
	r    *rand.Rand
	root any
}

func (g schemaGen) value(schema any, depth int) any {
	sc, ok := schema.(map[string]any)
	if !ok || depth > 8 {
		return nil
	}
	if ref, ok := sc["$ref"].(string); ok {
		return g.value(g.resolve(ref), depth+1)
	}
	if c, ok := sc["const"]; ok {
		return c
	}
	if e, ok := sc["enum"].([]any); ok && len(e) > 0 {
		return e[g.r.IntN(len(e))]
	}
	for _, k := range []string{"anyOf", "oneOf", "allOf"} {
		if alts, ok := sc[k].([]any); ok && len(alts) > 0 {
			return g.value(alts[0], depth+1)
		}
	}
	typ := ""
	switch t := sc["type"].(type) {
	case string:
		typ = t
	case []any:
		for _, x := range t {
			if s, _ := x.(string); s != "" && s != "null" {
				typ = s
				break
			}
		}
	}
	if typ == "" {
		if _, ok := sc["properties"]; ok {
			typ = "object"
		} else if _, ok := sc["items"]; ok {
			typ = "array"
		} else {
			typ = "string"
		}
	}
	num := func(key string, def float64) float64 {
		if v, ok := sc[key].(float64); ok {
			return v
		}
		return def
	}
	switch typ {
	case "object":
		out := map[string]any{}
		props, _ := sc["properties"].(map[string]any)
		required := map[string]bool{}
		if req, ok := sc["required"].([]any); ok {
			for _, k := range req {
				if s, ok := k.(string); ok {
					required[s] = true
				}
			}
		}
		keys := make([]string, 0, len(props))
		for k := range props {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if required[k] || g.r.IntN(2) == 0 {
				out[k] = g.value(props[k], depth+1)
			}
		}
		return out
	case "array":
		lo := int(num("minItems", 1))
		hi := max(int(num("maxItems", float64(lo+2))), lo)
		n := lo + g.r.IntN(hi-lo+1)
		out := make([]any, n)
		for i := range out {
			out[i] = g.value(sc["items"], depth+1)
		}
		return out
	case "integer":
		lo, hi := math.Ceil(num("minimum", 0)), math.Floor(num("maximum", 100))
		if hi < lo {
			hi = lo
		}
		return int64(lo) + g.r.Int64N(int64(hi-lo)+1)
	case "number":
		lo, hi := num("minimum", 0), num("maximum", 100)
		return math.Round((lo+g.r.Float64()*(hi-lo))*100) / 100
	case "boolean":
		return g.r.IntN(2) == 0
	case "null":
		return nil
	}
	minLen, maxLen := int(num("minLength", 0)), int(num("maxLength", 0))
	s := strings.TrimSuffix(strings.Join(sentence(g.r, 2+g.r.IntN(4)), ""), ".")
	for len(s) < minLen {
		s += " " + vocabulary[g.r.IntN(len(vocabulary))]
	}
	if maxLen > 0 && len(s) > maxLen {
		s = s[:maxLen]
	}
	return s
}

// resolve follows a local $ref ("#/$defs/x", "#/definitions/x").
func (g schemaGen) resolve(ref string) any {
	var cur any = g.root
	for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[part]
	}
	return cur
}

// toolCall draws a call of one of tools, with arguments valid against its parameters (as sent,
// from schemas, when there), and the
// id Ollama gives it ("call_" and 8 letters or digits).
func toolCall(r *rand.Rand, tools api.Tools, schemas map[string]json.RawMessage) api.ToolCall {
	t := tools[r.IntN(len(tools))]
	var params any
	raw, ok := schemas[t.Function.Name]
	if !ok {
		raw, _ = json.Marshal(t.Function.Parameters)
	}
	json.Unmarshal(raw, &params)
	g := schemaGen{r: r, root: params}
	args := api.NewToolCallFunctionArguments()
	obj, _ := g.value(params, 0).(map[string]any)
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		args.Set(k, obj[k])
	}
	const letters = "abcdefghijklmnopqrstuvwxyz0123456789"
	id := make([]byte, 8)
	for i := range id {
		id[i] = letters[r.IntN(len(letters))]
	}
	return api.ToolCall{ID: "call_" + string(id), Function: api.ToolCallFunction{Index: 0, Name: t.Function.Name, Arguments: args}}
}

// toolText is the text a model would emit for a tool call (what eval_count counts).
func toolText(tc api.ToolCall) string {
	b, _ := json.Marshal(map[string]any{"name": tc.Function.Name, "arguments": tc.Function.Arguments})
	return string(b)
}

// cutAtStop ends the answer before the first stop sequence, as the runner does; found reports
// whether one was met.
func cutAtStop(toks []string, stop []string) ([]string, bool) {
	if len(stop) == 0 {
		return toks, false
	}
	text := strings.Join(toks, "")
	cut := -1
	for _, s := range stop {
		if i := strings.Index(text, s); s != "" && i >= 0 && (cut < 0 || i < cut) {
			cut = i
		}
	}
	if cut < 0 {
		return toks, false
	}
	var out []string
	n := 0
	for _, t := range toks {
		if n+len(t) > cut {
			if n < cut {
				out = append(out, t[:cut-n])
			}
			break
		}
		out = append(out, t)
		n += len(t)
	}
	return out, true
}

// logprobsOf gives each token a log probability and top alternatives, drawn from r.
func logprobsOf(r *rand.Rand, toks []string, top int) []api.Logprob {
	out := make([]api.Logprob, len(toks))
	for i, t := range toks {
		lp := -r.Float64() * 2
		out[i] = api.Logprob{TokenLogprob: api.TokenLogprob{Token: t, Logprob: lp, Bytes: byteInts(t)}}
		for j := range top {
			alt := t
			if j > 0 {
				alt = " " + vocabulary[r.IntN(len(vocabulary))]
			}
			out[i].TopLogprobs = append(out[i].TopLogprobs, api.TokenLogprob{Token: alt, Logprob: lp - float64(j)*(0.5+r.Float64()), Bytes: byteInts(alt)})
		}
	}
	return out
}

func byteInts(s string) []int {
	out := make([]int, len(s))
	for i := range len(s) {
		out[i] = int(s[i])
	}
	return out
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

// seedKey is the part of the options that changes the text: options.seed, when set.
func seedKey(opts api.Options) string {
	if opts.Seed < 0 {
		return ""
	}
	return fmt.Sprint(opts.Seed)
}
