package httpfault

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/shakedown-dev/shakedown/faults/inject"
	"github.com/shakedown-dev/shakedown/field"
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

// Fault is one HTTP fault: a request it matches is faulted with Probability, decided per
// request (see faults/inject). It is a plain struct for files: in YAML and JSON one flat object,
// durations are strings such as "250ms" and the probability is a fraction (0.3, or "0.3") or a
// percentage ("30%"). Decoding JSON into a Fault is strict: an unknown field is an error.
type Fault = inject.Fault[Action]

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

// Validate reports every problem with f, naming the field, the value and what is accepted.
func Validate(f Fault) error {
	errs := f.Problems("http fault")
	bad := func(name string, v any, want string) {
		errs = append(errs, &field.Error{Family: "http fault", Spec: f.Name, Field: name, Value: v, Want: want})
	}
	a := f.Action
	if !slices.Contains(Kinds, a.Kind) {
		bad("kind", fmt.Sprintf("%q", a.Kind), fmt.Sprintf("one of %v", Kinds))
	}
	if a.Status != 0 && (a.Status < 400 || a.Status > 599) {
		bad("status", a.Status, "an HTTP error status from 400 to 599")
	}
	if a.RetryAfter < 0 {
		bad("retry_after", a.RetryAfter, "0 or more")
	}
	if a.Delay < 0 {
		bad("delay", a.Delay, "0 or more")
	}
	switch a.Kind {
	case KindLatency, KindFirstChunk, KindStall:
		if a.Delay <= 0 {
			bad("delay", a.Delay, fmt.Sprintf("more than 0 for a %s fault", a.Kind))
		}
	}
	if a.AfterChunks < 0 {
		bad("after_chunks", a.AfterChunks, "0 or more")
	}
	if a.Kind == KindStreamError && a.AfterChunks < 1 {
		bad("after_chunks", a.AfterChunks, "1 or more for a stream-error fault (an error before the first chunk is an error fault)")
	}
	if a.Method != "" && a.Method != http.MethodGet && a.Method != http.MethodPost && a.Method != http.MethodPut &&
		a.Method != http.MethodDelete && a.Method != http.MethodHead && a.Method != http.MethodPatch {
		bad("method", fmt.Sprintf("%q", a.Method), "GET, POST, PUT, DELETE, HEAD, PATCH or empty for any")
	}
	return errors.Join(errs...)
}

// Limit is the fault's Max (inject.Action).
func (a Action) Limit() int { return a.Max }

// matches reports whether r is a request a applies to: its method (if set) and path prefix.
func (a Action) matches(r *http.Request) bool {
	if a.Method != "" && r.Method != a.Method {
		return false
	}
	return strings.HasPrefix(r.URL.Path, a.PathPrefix)
}

func (a Action) status() int {
	if a.Status == 0 {
		return http.StatusServiceUnavailable
	}
	return a.Status
}
