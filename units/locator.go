package units

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"path"
	"strconv"
	"strings"
)

// Locator says where a value is in an HTTP response, as written in files: "location" (the last
// path segment of the Location header), "header:NAME" (that header's value) or a JSON pointer
// into the body (RFC 6901: "/data/id", "/items/0/id"). The durability verdict finds a write's
// id with one; a request's capture finds a token or an id to use in later requests.
type Locator string

// Validate says whether l is one of the three forms.
func (l Locator) Validate() error {
	s := string(l)
	if s == "location" || strings.HasPrefix(s, "header:") && len(s) > len("header:") || strings.HasPrefix(s, "/") {
		return nil
	}
	return fmt.Errorf("%q; want location, header:NAME or a JSON pointer into the body such as /data/id", s)
}

// String says where the value is in words ("the body's /data/id").
func (l Locator) String() string {
	switch s := string(l); {
	case s == "location":
		return "the last path segment of its Location"
	case strings.HasPrefix(s, "header:"):
		return "its " + strings.TrimPrefix(s, "header:") + " header"
	default:
		return "the body's " + s
	}
}

// Find returns the value l points at in a response with header h and body, or "" when the
// response has none there (a JSON value that is not a string or a number counts as none).
func (l Locator) Find(h http.Header, body []byte) string {
	switch s := string(l); {
	case s == "location":
		if loc := h.Get("Location"); loc != "" {
			return path.Base(loc)
		}
		return ""
	case strings.HasPrefix(s, "header:"):
		return h.Get(strings.TrimPrefix(s, "header:"))
	default:
		return jsonPointer(body, s)
	}
}

// jsonPointer returns the value at the RFC 6901 pointer p in the JSON document b, as text (a
// string as it is, a number as written), or "".
func jsonPointer(b []byte, p string) string {
	v, _ := JSONPointer(b, p)
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	}
	return ""
}

// JSONPointer returns the value at the RFC 6901 pointer p ("/choices/0/finish_reason") in the
// JSON document b, numbers as json.Number, and whether b is JSON with a value there (null is a
// value).
func JSONPointer(b []byte, p string) (any, bool) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if d.Decode(&v) != nil {
		return nil, false
	}
	for _, tok := range strings.Split(p, "/")[1:] {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch x := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = x[tok]; !ok {
				return nil, false
			}
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(x) {
				return nil, false
			}
			v = x[i]
		default:
			return nil, false
		}
	}
	return v, true
}
