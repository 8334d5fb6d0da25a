package httpfault

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"github.com/shakedown-dev/shakedown/internal/kinds"
	"github.com/shakedown-dev/shakedown/units"
)

// Kind is a kind of HTTP fault.
type Kind string

// The kinds.
const (
	KindError      Kind = "error"       // answer Status (and Retry-After) instead of the handler
	KindLatency    Kind = "latency"     // wait Delay before the handler runs (before the headers)
	KindFirstChunk Kind = "first-chunk" // wait Delay before the first body write (time to first token)
	KindStall      Kind = "stall"       // after AfterChunks body writes (flushed), wait Delay before the next
	KindDrop       Kind = "drop"        // after AfterChunks body writes (flushed), cut the connection
	KindMalformed  Kind = "malformed"   // replace body write number AfterChunks+1 with broken JSON
	// KindStreamError ends a streamed answer with an error line in place of line AfterChunks
	// (the answer's status stays 200): what a client of an LLM server sees when the model runner
	// dies mid-answer. The line is Config.StreamError's.
	KindStreamError Kind = "stream-error"
)

// Kinds lists every kind.
var Kinds = []Kind{KindError, KindLatency, KindFirstChunk, KindStall, KindDrop, KindMalformed, KindStreamError}

// Fault is one fault. A request it matches is faulted with Probability, decided per request.
//
// It is a plain struct for files: in YAML and JSON, durations are strings such as "250ms" and the
// probability is a fraction (0.3, or "0.3") or a percentage ("30%"). Decoding JSON into a Fault
// is strict: an unknown field is an error.
type Fault struct {
	// Name identifies the fault; setting a fault of the same name replaces it. Letters, digits,
	// '.', '_' and '-'.
	Name string `json:"name" yaml:"name"`
	// Probability is the chance that a matching request is faulted, in [0, 1].
	Probability units.Probability `json:"probability" yaml:"probability"`
	// Action is what the fault does, and to which requests.
	Action `yaml:",inline"`
}

// Action is what a fault does to the requests it matches, and which requests those are: a
// Fault less its name and probability. A scenario's http fault embeds it beside the fields every
// fault has, so the fields are declared here once.
type Action struct {
	// Kind is the fault's kind. JSON (the admin endpoint) spells it kind; a scenario file, whose
	// type field says http, spells it fault.
	Kind Kind `json:"kind" yaml:"fault"`
	// Method and PathPrefix limit the requests the fault matches; empty matches all.
	Method     string `json:"method,omitempty" yaml:"method,omitempty"`
	PathPrefix string `json:"path_prefix,omitempty" yaml:"path_prefix,omitempty"`
	// Status is the answer of an error fault: 400-599. 0: 503.
	Status int `json:"status,omitempty" yaml:"status,omitempty"`
	// RetryAfter sets the Retry-After header of an error fault (whole seconds, rounded up).
	RetryAfter units.Duration `json:"retry_after,omitempty" yaml:"retry_after,omitempty"`
	// Delay is the wait of latency, first-chunk and stall faults.
	Delay units.Duration `json:"delay,omitempty" yaml:"delay,omitempty"`
	// AfterChunks is how many body writes pass before a stall, drop or malformed chunk. 0: before
	// the first (a stall or drop at 0 sends the headers first).
	AfterChunks int `json:"after_chunks,omitempty" yaml:"after_chunks,omitempty"`
	// Max stops the fault after its first Max injections ("fail the first 2 attempts, then
	// succeed"); the fault still draws for every request it matches. 0: no limit.
	Max int `json:"max,omitempty" yaml:"max,omitempty"`
}

// UnmarshalJSON decodes a fault strictly and takes the probability as a JSON number or a string.
func (f *Fault) UnmarshalJSON(b []byte) error {
	type plain Fault // without this method
	var w struct {
		plain
		Probability json.RawMessage `json:"probability"` // shadows plain.Probability
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(&w); err != nil {
		return err
	}
	*f = Fault(w.plain)
	f.Probability = 0
	if raw := bytes.TrimSpace(w.Probability); len(raw) > 0 && string(raw) != "null" {
		text := string(raw)
		if raw[0] == '"' {
			if err := json.Unmarshal(raw, &text); err != nil {
				return err
			}
		}
		if err := f.Probability.UnmarshalText([]byte(text)); err != nil {
			return fmt.Errorf("http fault %q: probability: %w", f.Name, err)
		}
	}
	return nil
}

// ParseFaults reads one fault (a JSON object) or several (an array), strictly, as the admin
// endpoint and the mock's --faults flag take them. It does not validate them.
func ParseFaults(b []byte) ([]Fault, error) {
	if t := strings.TrimSpace(string(b)); strings.HasPrefix(t, "[") {
		var fs []Fault
		if err := strictJSON(b, &fs); err != nil {
			return nil, fmt.Errorf("faults: %w; want a JSON array of fault objects", err)
		}
		return fs, nil
	}
	var f Fault
	if err := strictJSON(b, &f); err != nil {
		return nil, fmt.Errorf("fault: %w; want a JSON fault object or an array of them", err)
	}
	return []Fault{f}, nil
}

// strictJSON decodes exactly one JSON value from b into v.
func strictJSON(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return err
	}
	if d.More() {
		return errors.New("data after the JSON value")
	}
	return nil
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// Validate reports every problem with f, naming the field, the value and what is accepted.
func (f Fault) Validate() error {
	var errs []error
	bad := func(field string, v any, want string) {
		errs = append(errs, &kinds.FieldError{Family: "http fault", Spec: f.Name, Field: field, Value: v, Want: want})
	}
	if !nameRE.MatchString(f.Name) {
		bad("name", fmt.Sprintf("%q", f.Name), "1-64 letters, digits, '.', '_' or '-'")
	}
	known := false
	for _, k := range Kinds {
		known = known || f.Kind == k
	}
	if !known {
		bad("kind", fmt.Sprintf("%q", f.Kind), fmt.Sprintf("one of %v", Kinds))
	}
	if !(f.Probability >= 0 && f.Probability <= 1) {
		bad("probability", f.Probability, "a value from 0 to 1")
	}
	if f.Status != 0 && (f.Status < 400 || f.Status > 599) {
		bad("status", f.Status, "an HTTP error status from 400 to 599")
	}
	if f.RetryAfter < 0 {
		bad("retry_after", f.RetryAfter, "0 or more")
	}
	if f.Delay < 0 {
		bad("delay", f.Delay, "0 or more")
	}
	switch f.Kind {
	case KindLatency, KindFirstChunk, KindStall:
		if f.Delay <= 0 {
			bad("delay", f.Delay, fmt.Sprintf("more than 0 for a %s fault", f.Kind))
		}
	}
	if f.AfterChunks < 0 {
		bad("after_chunks", f.AfterChunks, "0 or more")
	}
	if f.Kind == KindStreamError && f.AfterChunks < 1 {
		bad("after_chunks", f.AfterChunks, "1 or more for a stream-error fault (an error before the first chunk is an error fault)")
	}
	if f.Max < 0 {
		bad("max", f.Max, "0 (no limit) or the number of injections after which the fault stops")
	}
	if f.Method != "" && f.Method != http.MethodGet && f.Method != http.MethodPost && f.Method != http.MethodPut &&
		f.Method != http.MethodDelete && f.Method != http.MethodHead && f.Method != http.MethodPatch {
		bad("method", fmt.Sprintf("%q", f.Method), "GET, POST, PUT, DELETE, HEAD, PATCH or empty for any")
	}
	return errors.Join(errs...)
}

// matches reports whether r is a request f applies to: its method (if set) and path prefix.
func (f Fault) matches(r *http.Request) bool {
	if f.Method != "" && r.Method != f.Method {
		return false
	}
	return strings.HasPrefix(r.URL.Path, f.PathPrefix)
}

func (f Fault) status() int {
	if f.Status == 0 {
		return http.StatusServiceUnavailable
	}
	return f.Status
}
