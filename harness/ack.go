package harness

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path"
	"strconv"
	"strings"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/shakedown-dev/shakedown/units"
)

// AckRule recognises an acknowledged write in a response and says where its id is, for the
// durability check: a status of Status (default 201) and an id from ID: "location" (the last
// path segment of the Location header, the default), "header:NAME" (the header's value) or a
// JSON pointer into the body ("/data/id").
type AckRule struct {
	Status []units.StatusRange
	ID     string
	// Target limits the rule to one named load target's responses. Empty: every response.
	Target string
}

// String says the rule in words, for a verdict that saw no acknowledgement.
func (a *AckRule) String() string {
	status := "201"
	if len(a.Status) > 0 {
		parts := make([]string, len(a.Status))
		for i, s := range a.Status {
			parts[i] = s.String()
		}
		status = strings.Join(parts, " or ")
	}
	var from string
	switch id := a.source(); {
	case id == "location":
		from = "the last path segment of its Location"
	case strings.HasPrefix(id, "header:"):
		from = "its " + strings.TrimPrefix(id, "header:") + " header"
	default:
		from = "the body's " + id
	}
	s := fmt.Sprintf("status %s, the id from %s", status, from)
	if a.Target != "" {
		s += ", of target " + a.Target
	}
	return s
}

func (a *AckRule) source() string {
	if a.ID == "" {
		return "location"
	}
	return a.ID
}

// find returns the write's id when r is an acknowledgement, and whether r matched the rule's
// status (an acknowledgement whose id is missing matches and returns "").
func (a *AckRule) find(r *vegeta.Result, target string) (id string, matched bool) {
	if a.Target != "" && target != a.Target {
		return "", false
	}
	if len(a.Status) == 0 {
		if r.Code != 201 {
			return "", false
		}
	} else if !units.Expected(a.Status, int(r.Code)) {
		return "", false
	}
	switch src := a.source(); {
	case src == "location":
		if loc := r.Headers.Get("Location"); loc != "" {
			return path.Base(loc), true
		}
	case strings.HasPrefix(src, "header:"):
		return r.Headers.Get(strings.TrimPrefix(src, "header:")), true
	default:
		return jsonPointer(r.Body, src), true
	}
	return "", true
}

// jsonPointer returns the value at the RFC 6901 pointer p in the JSON document b, as text (a
// string as it is, a number as written), or "".
func jsonPointer(b []byte, p string) string {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if d.Decode(&v) != nil {
		return ""
	}
	for _, tok := range strings.Split(p, "/")[1:] {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch x := v.(type) {
		case map[string]any:
			v = x[tok]
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(x) {
				return ""
			}
			v = x[i]
		default:
			return ""
		}
	}
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	}
	return ""
}
