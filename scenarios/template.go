package scenarios

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/shakedown-dev/shakedown/service"
)

// A Template is a text of the scenario that the run fills in (a request's URL, a header's value,
// a body; a sut.env value; a set-up command's argument), cut at its placeholders:
//
//	{{seq}}           the load request's number: 0, 1, 2, ...
//	{{uuid}}          a random UUID (version 4)
//	{{random N}}      N random letters and digits (1 to 1024)
//	{{service.part}}  a part of a running service, through its proxy: {{postgres.dsn}}, {{ollama.url}}
//	{{port}}          the port a command's replica listens on
//	{{replica}}       the replica's number
//	{{name}}          a value captured from an earlier answer (a set-up request's or a target's)
//
// Which placeholder may appear where, and when its value is known, is checked when a scenario is
// loaded (docs/scenarios.md#placeholders has the table). The random values are drawn from the
// run's seed and the request's number, so a replay sends the same requests.
type Template []Piece

// Piece is literal text or one placeholder.
type Piece struct {
	Kind PieceKind
	// Text is the literal text, or the placeholder as written.
	Text string
	// N is the length of a random placeholder.
	N int
	// Name is a captured value's name, or a service's part (postgres.dsn): the key of its value
	// (see Fill).
	Name string
}

// PieceKind says what a piece of a template is.
type PieceKind int

// The kinds of piece: text as written, and the placeholders {{seq}}, {{uuid}}, {{random N}},
// {{name}} (a captured value), {{service.part}}, {{port}} and {{replica}}.
const (
	PieceLiteral PieceKind = iota
	PieceSeq
	PieceUUID
	PieceRandom
	PieceCaptured
	PieceService
	PiecePort
	PieceReplica
)

// The names of a replica's own placeholders, the keys of their values for Fill: {{port}}, the
// port a command's replica listens on, and {{replica}}, its number (0 to sut.replicas-1; 0 for
// one instance).
const (
	PortName    = "port"
	ReplicaName = "replica"
)

// PartName is the name of a service's part for Fill and Piece.Name: "postgres.dsn".
func PartName(svc, part string) string { return svc + "." + part }

// maxRandom bounds {{random N}}.
const maxRandom = 1024

var (
	nameRE        = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	placeholderRE = regexp.MustCompile(`\{\{[^{}]*\}\}`)
)

// reservedNames are the placeholders that are not captured values.
var reservedNames = []string{"seq", "uuid", "random", PortName, ReplicaName}

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
		svc, part, dotted := "", "", false
		if len(words) == 1 {
			svc, part, dotted = strings.Cut(words[0], ".")
		}
		switch {
		case len(words) == 1 && words[0] == "seq":
			p.Kind = PieceSeq
		case len(words) == 1 && words[0] == "uuid":
			p.Kind = PieceUUID
		case len(words) == 1 && words[0] == PortName:
			p.Kind = PiecePort
		case len(words) == 1 && words[0] == ReplicaName:
			p.Kind = PieceReplica
		case len(words) >= 1 && words[0] == "random":
			n, err := 0, error(nil)
			if len(words) == 2 {
				n, err = strconv.Atoi(words[1])
			}
			if len(words) != 2 || err != nil || n < 1 || n > maxRandom {
				return nil, fmt.Errorf("placeholder %s: want {{random N}}, N random letters and digits, N from 1 to %d", m, maxRandom)
			}
			p.Kind, p.N = PieceRandom, n
		case dotted && slices.Contains(service.Names(), svc):
			if !slices.Contains(service.Parts(svc), part) {
				return nil, fmt.Errorf("unknown placeholder %s; %s's parts are %s", m, svc, strings.Join(partPlaceholders(svc), ", "))
			}
			p.Kind, p.Name = PieceService, PartName(svc, part)
		case len(words) == 1 && nameRE.MatchString(words[0]):
			p.Kind, p.Name = PieceCaptured, words[0]
		default:
			return nil, fmt.Errorf("unknown placeholder %s; want {{seq}}, {{uuid}}, {{random N}}, a service's part ({{postgres.dsn}}), {{port}}, {{replica}} or {{name}}, a captured value", m)
		}
		t = append(t, p)
	}
	if last < len(s) {
		t = append(t, Piece{Kind: PieceLiteral, Text: s[last:]})
	}
	return t, nil
}

// partPlaceholders lists a service's parts as placeholders: {{redis.host}}, ...
func partPlaceholders(svc string) []string {
	var out []string
	for _, part := range service.Parts(svc) {
		out = append(out, "{{"+PartName(svc, part)+"}}")
	}
	return out
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

// Fill replaces each {{...}} placeholder of s by its value in values, keyed by the placeholder's
// name (postgres.dsn, port, replica, a captured value's name); a placeholder values lacks is left
// as written. It is how the engine fills sut.env and set-up commands; a loaded scenario uses
// there only placeholders the run knows by then.
func Fill(s string, values map[string]string) string {
	return placeholderRE.ReplaceAllStringFunc(s, func(m string) string {
		if v, ok := values[strings.TrimSpace(m[2:len(m)-2])]; ok {
			return v
		}
		return m
	})
}
