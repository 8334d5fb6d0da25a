package scenarios

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// A Template is a request's text (a URL, a header's value, a body) cut at its placeholders:
//
//	{{seq}}       the request's number: 0, 1, 2, ...
//	{{uuid}}      a random UUID (version 4)
//	{{random N}}  N random letters and digits (1 to 1024)
//	{{name}}      a value captured from an earlier response (a set-up request's or a target's)
//
// The random values are drawn from the run's seed and the request's number, so a replay sends
// the same requests.
type Template []Piece

// Piece is literal text or one placeholder.
type Piece struct {
	Kind PieceKind
	// Text is the literal text, or the placeholder as written.
	Text string
	// N is the length of a random placeholder.
	N int
	// Name is a captured value's name.
	Name string
}

// PieceKind says what a piece of a template is.
type PieceKind int

// The kinds of piece: text as written, and the placeholders {{seq}}, {{uuid}}, {{random N}} and
// {{name}} (a captured value).
const (
	PieceLiteral PieceKind = iota
	PieceSeq
	PieceUUID
	PieceRandom
	PieceCaptured
)

// maxRandom bounds {{random N}}.
const maxRandom = 1024

var nameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// reservedNames are the placeholders that are not captured values.
var reservedNames = []string{"seq", "uuid", "random"}

// ParseTemplate cuts s at its placeholders. A placeholder that is none of the forms above is an
// error naming it.
func ParseTemplate(s string) (Template, error) {
	var t Template
	last := 0
	for _, loc := range placeholderRE.FindAllStringIndex(s, -1) {
		if loc[0] > last {
			t = append(t, Piece{Kind: PieceLiteral, Text: s[last:loc[0]]})
		}
		last = loc[1]
		m := s[loc[0]:loc[1]]
		words := strings.Fields(m[2 : len(m)-2])
		p := Piece{Text: m}
		switch {
		case len(words) == 1 && words[0] == "seq":
			p.Kind = PieceSeq
		case len(words) == 1 && words[0] == "uuid":
			p.Kind = PieceUUID
		case len(words) >= 1 && words[0] == "random":
			n, err := 0, error(nil)
			if len(words) == 2 {
				n, err = strconv.Atoi(words[1])
			}
			if len(words) != 2 || err != nil || n < 1 || n > maxRandom {
				return nil, fmt.Errorf("placeholder %s: want {{random N}}, N random letters and digits, N from 1 to %d", m, maxRandom)
			}
			p.Kind, p.N = PieceRandom, n
		case len(words) == 1 && nameRE.MatchString(words[0]):
			p.Kind, p.Name = PieceCaptured, words[0]
		default:
			return nil, fmt.Errorf("unknown placeholder %s; want {{seq}}, {{uuid}}, {{random N}} or {{name}}, a captured value", m)
		}
		t = append(t, p)
	}
	if last < len(s) {
		t = append(t, Piece{Kind: PieceLiteral, Text: s[last:]})
	}
	return t, nil
}

// Static reports whether t has no placeholder.
func (t Template) Static() bool {
	for _, p := range t {
		if p.Kind != PieceLiteral {
			return false
		}
	}
	return true
}

// Names returns the captured values t uses, in order.
func (t Template) Names() []string {
	var out []string
	for _, p := range t {
		if p.Kind == PieceCaptured {
			out = append(out, p.Name)
		}
	}
	return out
}
