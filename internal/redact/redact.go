// Package redact is the one redaction of what Shakedown prints and keeps: a run's errors, its
// record and every report made from it show no secret. It sits below both harness, which knows
// a run's secret values (its ${NAME} variables, the tokens its set-up captures), and reports,
// which redacts every journal it makes whoever made the record; neither may import the other. It
// is not in record, the data model, because what counts as a secret is a policy of its own
// (patterns, names, values) that errors outside any record need too; it is internal because that
// policy is Shakedown's, not an API.
//
// References are never redacted: ${NAME} (an environment variable) and {{name}} (a placeholder)
// say where a secret comes from, not what it is, so a scenario's text keeps them as written.
package redact

import (
	"cmp"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/shakedown-dev/shakedown/units"
)

// Mask is what a secret is replaced by.
const Mask = "***"

// minKnown is the length of the shortest known value redacted: a shorter one (a port, "true")
// would redact ordinary words and numbers wherever they appear.
const minKnown = 6

// A Redactor redacts secrets by their form (see Text) and the secret values it knows, which are
// redacted wherever they appear. Safe for concurrent use.
type Redactor struct {
	mu     sync.RWMutex
	values []string // longest first, so that a value inside another does not split it
}

// New returns a Redactor that knows values (New(): none, it redacts by form alone).
func New(values ...string) *Redactor {
	r := &Redactor{}
	r.Add(values...)
	return r
}

// Add makes values known; those shorter than 6 bytes are left out.
func (r *Redactor) Add(values ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, v := range values {
		if len(v) >= minKnown && !slices.Contains(r.values, v) {
			r.values = append(r.values, v)
		}
	}
	slices.SortStableFunc(r.values, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
}

// String returns s with every known value replaced by Mask, then redacted by form (Text).
func (r *Redactor) String(s string) string {
	r.mu.RLock()
	for _, v := range r.values {
		s = strings.ReplaceAll(s, v, Mask)
	}
	r.mu.RUnlock()
	return Text(s)
}

// Error returns err with its message redacted (String), or err itself when there is nothing to
// redact; errors.Is and errors.As see through it to err.
func (r *Redactor) Error(err error) error {
	if err == nil {
		return nil
	}
	if msg := r.String(err.Error()); msg != err.Error() {
		return &redactedError{msg: msg, err: err}
	}
	return err
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

const (
	// ref is a reference: ${NAME} or {{name}} (GitHub's ${{ expr }} too, as $ then {{ expr }}).
	ref = `\$\{[A-Za-z_][A-Za-z0-9_]*\}|\{\{[^{}]*\}\}`
	// value is a field's value as written: up to a space, a quote, a separator or a brace, a
	// reference whole.
	value = `(?:` + ref + `|[^\s"'` + "`" + `,;&{}<>\\])+`
	// secretWords end the names of fields, headers, flags and variables that hold secrets.
	secretWords = `password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|authorization|cookie|credentials?`
)

var (
	refRE = regexp.MustCompile(ref)
	// a JWT: three base64url parts, the first a JSON object ("eyJ" is `{"`).
	jwtRE = regexp.MustCompile(`\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*`)
	// the password of user:password@ in a URL or a DSN.
	urlRE = regexp.MustCompile(`(://[^\s:/?#@"']*:)((?:` + ref + `|[^\s/?#@"'])+)@`)
	// a secret field: password=..., token: ..., "api_key": "...", Authorization: Bearer ..., in
	// files, bodies and messages.
	fieldRE = regexp.MustCompile(`(?i)([\w.-]*(?:` + secretWords + `))(["']?[ \t]*[:=][ \t]*["']?)((?:bearer|basic|token)[ \t]+)?(` + value + `)`)
	// a secret flag's value: --admin-token t0k, --password=...
	flagRE = regexp.MustCompile(`(?i)(--?[\w-]*(?:` + secretWords + `))([ =])(` + value + `)`)
	// a bearer token anywhere.
	bearerRE = regexp.MustCompile(`(?i)\b(bearer[ \t]+)((?:` + ref + `|[A-Za-z0-9._~+/=-])+)`)

	nameRE = regexp.MustCompile(`(?i)^[\w.-]*(?:` + secretWords + `)$`)
	// counts and times of an LLM's tokens are not secrets (environment.ollama.time_to_first_token).
	countRE = regexp.MustCompile(`(?i)(?:^|[_.-])(?:first|last|max|min|per)[_-]?token$`)
)

// Name reports whether a name says its value is a secret: a field, header, flag, variable or
// captured value whose name ends in password, pwd, secret, token, api key, access key, private
// key, authorization, cookie or credentials (Authorization, X-Api-Key, access_token, PGPASSWORD),
// but for the counts and times of an LLM's tokens (max_token, time_to_first_token).
func Name(name string) bool { return nameRE.MatchString(name) && !countRE.MatchString(name) }

// Text returns s with the secrets it shows by their form replaced by Mask: JWTs, the password of
// a URL or a DSN, the values of fields and flags whose names say they are secrets (Name), bearer
// tokens. A value that holds a reference (${NAME}, {{name}}) is kept as it is: the secret is
// elsewhere, and a prefix such as "sk-" or "Bearer " beside it is none. So is a field's value
// that is a locator (capture: {token: /data/accessToken} says where a token is), and a short or
// plain word after "Bearer" ("missing Bearer token").
func Text(s string) string {
	s = jwtRE.ReplaceAllString(s, Mask)
	s = replace(urlRE, s, func(m []string) string { return m[1] + hide(m[2]) + "@" })
	s = replace(fieldRE, s, func(m []string) string {
		key, sep, scheme, v := m[1], m[2], m[3], m[4]
		if !Name(key) || units.Locator(v).Validate() == nil {
			return m[0]
		}
		return key + sep + scheme + hide(v)
	})
	s = replace(flagRE, s, func(m []string) string {
		if !Name(strings.TrimLeft(m[1], "-")) {
			return m[0]
		}
		return m[1] + m[2] + hide(m[3])
	})
	return replace(bearerRE, s, func(m []string) string {
		if len(m[2]) < 8 || !strings.ContainsFunc(m[2], func(c rune) bool { return !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') }) {
			return m[0]
		}
		return m[1] + hide(m[2])
	})
}

// hide returns Mask for a secret value, or the value as it is when it holds a reference.
func hide(v string) string {
	if refRE.MatchString(v) {
		return v
	}
	return Mask
}

// replace returns s with each match of re replaced by what f makes of its submatches (m[0] the
// whole match; an unmatched group is "").
func replace(re *regexp.Regexp, s string, f func(m []string) string) string {
	locs := re.FindAllStringSubmatchIndex(s, -1)
	if locs == nil {
		return s
	}
	var b strings.Builder
	last := 0
	for _, loc := range locs {
		m := make([]string, len(loc)/2)
		for i := range m {
			if loc[2*i] >= 0 {
				m[i] = s[loc[2*i]:loc[2*i+1]]
			}
		}
		b.WriteString(s[last:loc[0]])
		b.WriteString(f(m))
		last = loc[1]
	}
	b.WriteString(s[last:])
	return b.String()
}
