// Package answer checks an HTTP answer beyond its status, as k6's check() does: a JSON field
// present or equal, a substring or a regular expression of the body, a maximum size, and for a
// streamed answer (server-sent events or NDJSON) that the stream ended properly. A load target's
// and a set-up request's checks are these: an answer with an expected status that fails a check
// is a failed request, counted under the check's name.
package answer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"regexp"
	"strings"

	"github.com/shakedown-dev/shakedown/units"
)

// Check is one check of an answer, as written in a scenario: exactly one of JSON, Contains,
// Matches, MaxBytes and Stream.
type Check struct {
	// Name names the check in verdicts and the report. Empty: what it checks, e.g. "json
	// /choices/0/finish_reason exists" or "stream completed".
	Name string `yaml:"name,omitempty" json:"name,omitempty"`
	// JSON is a JSON pointer into the body (RFC 6901, "/choices/0/finish_reason"): the value must
	// be there and not null, or, with Equals, be that value (a string as it is, a number or a
	// boolean as written: "stop", "200", "true").
	JSON   string  `yaml:"json,omitempty" json:"json,omitempty"`
	Equals *string `yaml:"equals,omitempty" json:"equals,omitempty"`
	// Contains is a text the body must hold.
	Contains string `yaml:"contains,omitempty" json:"contains,omitempty"`
	// Matches is a regular expression (Go's syntax) that must match somewhere in the body.
	Matches string `yaml:"matches,omitempty" json:"matches,omitempty"`
	// MaxBytes is the largest body allowed.
	MaxBytes int64 `yaml:"max_bytes,omitempty" json:"max_bytes,omitempty"`
	// Stream checks that a streamed answer ended properly.
	Stream *Stream `yaml:"stream,omitempty" json:"stream,omitempty"`

	re *regexp.Regexp // Matches, compiled by Validate
}

// Stream says how a streamed answer ends properly: its last event (the last server-sent event's
// data before a final "[DONE]", or the last NDJSON line) is JSON with a value at Last that is not
// null, false or empty: Ollama's native stream ends with {"done": true} (last: /done), an
// OpenAI-style one with a chunk whose choices[0].finish_reason is set (last:
// /choices/0/finish_reason). A stream cut short, or ended with an error line, fails.
type Stream struct {
	// Format is sse or ndjson. Empty: by the answer's Content-Type (text/event-stream is sse),
	// else by its first line.
	Format string `yaml:"format,omitempty" json:"format,omitempty"`
	// Last is the JSON pointer the last event must have set.
	Last string `yaml:"last" json:"last"`
}

// The stream formats.
const (
	SSE    = "sse"
	NDJSON = "ndjson"
)

// Label returns the check's name: Name, or what it checks.
func (c *Check) Label() string {
	switch {
	case c.Name != "":
		return c.Name
	case c.JSON != "" && c.Equals != nil:
		return fmt.Sprintf("json %s = %s", c.JSON, *c.Equals)
	case c.JSON != "":
		return fmt.Sprintf("json %s exists", c.JSON)
	case c.Contains != "":
		return fmt.Sprintf("body contains %q", c.Contains)
	case c.Matches != "":
		return fmt.Sprintf("body matches %s", c.Matches)
	case c.MaxBytes > 0:
		return fmt.Sprintf("body at most %d bytes", c.MaxBytes)
	case c.Stream != nil:
		return "stream completed"
	}
	return "check"
}

// Validate checks c, naming each bad field: exactly one kind, a JSON pointer that starts with /,
// a regular expression that compiles, a known stream format. It compiles Matches.
func (c *Check) Validate() error {
	kinds := 0
	for _, set := range []bool{c.JSON != "", c.Contains != "", c.Matches != "", c.MaxBytes != 0, c.Stream != nil} {
		if set {
			kinds++
		}
	}
	var errs []error
	if kinds != 1 {
		errs = append(errs, fmt.Errorf("want exactly one of json, contains, matches, max_bytes and stream; got %d", kinds))
	}
	if c.JSON != "" && !strings.HasPrefix(c.JSON, "/") {
		errs = append(errs, fmt.Errorf("json: %q; want a JSON pointer such as /choices/0/finish_reason", c.JSON))
	}
	if c.Equals != nil && c.JSON == "" {
		errs = append(errs, errors.New("equals: only with json, the field it compares"))
	}
	if c.Matches != "" {
		re, err := regexp.Compile(c.Matches)
		if err != nil {
			errs = append(errs, fmt.Errorf("matches: %q; want a regular expression in Go's syntax (%v)", c.Matches, err))
		}
		c.re = re
	}
	if c.MaxBytes < 0 {
		errs = append(errs, fmt.Errorf("max_bytes: %d; want a size of 1 or more", c.MaxBytes))
	}
	if s := c.Stream; s != nil {
		if s.Format != "" && s.Format != SSE && s.Format != NDJSON {
			errs = append(errs, fmt.Errorf("stream.format: %q; want sse, ndjson or empty (by the answer's Content-Type)", s.Format))
		}
		if !strings.HasPrefix(s.Last, "/") {
			errs = append(errs, fmt.Errorf("stream.last: %q; want the JSON pointer the last event must have set, such as /done (Ollama) or /choices/0/finish_reason (OpenAI)", s.Last))
		}
	}
	return errors.Join(errs...)
}

// Test checks an answer with header h and body; the error says what was wrong. Validate must have
// passed.
func (c *Check) Test(h http.Header, body []byte) error {
	switch {
	case c.JSON != "":
		v, ok := units.JSONPointer(body, c.JSON)
		switch {
		case !ok || v == nil:
			return fmt.Errorf("no %s in the body", c.JSON)
		case c.Equals != nil && text(v) != *c.Equals:
			return fmt.Errorf("%s is %s, not %s", c.JSON, text(v), *c.Equals)
		}
	case c.Contains != "":
		if !bytes.Contains(body, []byte(c.Contains)) {
			return fmt.Errorf("the body lacks %q", c.Contains)
		}
	case c.Matches != "":
		re := c.re
		if re == nil {
			re = regexp.MustCompile(c.Matches)
		}
		if !re.Match(body) {
			return fmt.Errorf("the body does not match %s", c.Matches)
		}
	case c.MaxBytes > 0:
		if int64(len(body)) > c.MaxBytes {
			return fmt.Errorf("the body is %d bytes, over %d", len(body), c.MaxBytes)
		}
	case c.Stream != nil:
		return c.Stream.test(h, body)
	}
	return nil
}

// test finds the stream's last event and checks it.
func (s *Stream) test(h http.Header, body []byte) error {
	format := s.Format
	if format == "" {
		format = NDJSON
		if mt, _, _ := mime.ParseMediaType(h.Get("Content-Type")); mt == "text/event-stream" || bytes.HasPrefix(bytes.TrimSpace(body), []byte("data:")) {
			format = SSE
		}
	}
	last, n := lastEvent(body, format)
	if n == 0 {
		return fmt.Errorf("the %s stream has no event", format)
	}
	var v any
	if err := json.Unmarshal(last, &v); err != nil {
		return fmt.Errorf("the last of its %d events is not JSON: %s", n, cut(last))
	}
	if x, ok := units.JSONPointer(last, s.Last); !ok || x == nil || x == false || x == "" {
		return fmt.Errorf("the last of its %d events has no %s: %s", n, s.Last, cut(last))
	}
	return nil
}

// lastEvent returns the last event of a stream (its JSON) and how many events there were: a
// server-sent event's data (the data lines of one event joined), "[DONE]" not counted; an NDJSON
// stream's non-blank lines.
func lastEvent(body []byte, format string) ([]byte, int) {
	var last []byte
	n := 0
	if format == NDJSON {
		for line := range bytes.Lines(body) {
			if l := bytes.TrimSpace(line); len(l) > 0 {
				last, n = l, n+1
			}
		}
		return last, n
	}
	var data [][]byte
	flush := func() {
		if len(data) > 0 {
			if ev := bytes.Join(data, []byte("\n")); string(ev) != "[DONE]" {
				last, n = ev, n+1
			}
			data = nil
		}
	}
	for line := range bytes.Lines(body) {
		l := bytes.TrimRight(line, "\r\n")
		switch {
		case len(l) == 0:
			flush()
		case bytes.HasPrefix(l, []byte("data:")):
			data = append(data, bytes.TrimPrefix(bytes.TrimPrefix(l, []byte("data:")), []byte(" ")))
		}
	}
	flush()
	return last, n
}

// text is a JSON value as a check compares it: a string as it is, anything else as JSON.
func text(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// cut shortens an event for a message.
func cut(b []byte) string {
	const n = 120
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}
