package inject

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"

	"github.com/shakedown-dev/shakedown/field"
	"github.com/shakedown-dev/shakedown/units"
)

// Action is what a fault does and to which requests: the part each package of request faults
// declares (httpfault.Action, wirefault.Action).
type Action interface {
	// Limit is the fault's max: it injects at most Limit times, while it still draws for every
	// request it matches. 0: no limit.
	Limit() int
}

// Fault is one request-level fault: the requests its Action matches are faulted with
// Probability, decided per request.
//
// In JSON and YAML it is one flat object: name, probability, then the action's fields. Decoding
// JSON is strict (an unknown field is an error) and takes the probability as a number (0.3) or a
// string ("0.3", "30%").
type Fault[A Action] struct {
	// Name identifies the fault and keys its stream; setting a fault of the same name replaces
	// it. 1-64 letters, digits, '.', '_' and '-'.
	Name string `json:"name" yaml:"name"`
	// Probability is the chance that a matching request is faulted, in [0, 1].
	Probability units.Probability `json:"probability" yaml:"probability"`
	// Action is what the fault does, and to which requests.
	Action A `yaml:",inline"`
}

// Rule is what a Decider needs of a fault to decide it.
func (f Fault[A]) Rule() Rule {
	return Rule{Name: f.Name, Probability: f.Probability.F(), Max: f.Action.Limit()}
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// Problems reports what is wrong with the fields every request-level fault has, its name, its
// probability and its max, as field errors of the family ("http fault", "postgres fault"). Each
// package adds what is wrong with the rest of its action.
func (f Fault[A]) Problems(family string) []error {
	var errs []error
	bad := func(name string, v any, want string) {
		errs = append(errs, &field.Error{Family: family, Spec: f.Name, Field: name, Value: v, Want: want})
	}
	if !nameRE.MatchString(f.Name) {
		bad("name", fmt.Sprintf("%q", f.Name), "1-64 letters, digits, '.', '_' or '-'")
	}
	if !(f.Probability >= 0 && f.Probability <= 1) {
		bad("probability", f.Probability, "a value from 0 to 1")
	}
	if m := f.Action.Limit(); m < 0 {
		bad("max", m, "0 (no limit) or the number of injections after which the fault stops")
	}
	return errs
}

// MarshalJSON writes f as one flat object: name, probability, then the action's fields.
func (f Fault[A]) MarshalJSON() ([]byte, error) {
	head, err := json.Marshal(struct {
		Name        string            `json:"name"`
		Probability units.Probability `json:"probability"`
	}{f.Name, f.Probability})
	if err != nil {
		return nil, err
	}
	action, err := json.Marshal(f.Action)
	if err != nil {
		return nil, err
	}
	if len(action) < 2 || action[0] != '{' {
		return nil, fmt.Errorf("fault %q: the action is %s; want a JSON object", f.Name, action)
	}
	if len(action) == 2 { // {}
		return head, nil
	}
	return append(append(head[:len(head)-1], ','), action[1:]...), nil
}

// UnmarshalJSON reads one flat object strictly, the probability as a number or a string.
func (f *Fault[A]) UnmarshalJSON(b []byte) error {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		return err
	}
	var g Fault[A]
	if raw, ok := fields["name"]; ok {
		if err := json.Unmarshal(raw, &g.Name); err != nil {
			return fmt.Errorf("fault: name: %w", err)
		}
		delete(fields, "name")
	}
	if raw := bytes.TrimSpace(fields["probability"]); len(raw) > 0 && string(raw) != "null" {
		text := string(raw)
		if raw[0] == '"' {
			if err := json.Unmarshal(raw, &text); err != nil {
				return err
			}
		}
		if err := g.Probability.UnmarshalText([]byte(text)); err != nil {
			return fmt.Errorf("fault %q: probability: %w", g.Name, err)
		}
	}
	delete(fields, "probability")
	rest, err := json.Marshal(fields)
	if err != nil {
		return err
	}
	d := json.NewDecoder(bytes.NewReader(rest))
	d.DisallowUnknownFields()
	if err := d.Decode(&g.Action); err != nil {
		return err
	}
	*f = g
	return nil
}
