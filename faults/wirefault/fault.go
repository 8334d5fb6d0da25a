package wirefault

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"time"

	"github.com/shakedown-dev/shakedown/faults/inject"
	"github.com/shakedown-dev/shakedown/field"
	"github.com/shakedown-dev/shakedown/units"
)

// Protocol is the wire protocol an Injector's connections speak.
type Protocol string

// The protocols.
const (
	Postgres Protocol = "postgres"
	Redis    Protocol = "redis"
)

// Kind is a kind of request fault.
type Kind string

// The kinds.
const (
	KindLatency Kind = "latency" // hold the request for Latency ± Jitter
	KindError   Kind = "error"   // the server answers with an error of the chosen class
	KindDrop    Kind = "drop"    // cut the connection before the request reaches the server
)

// Kinds lists every kind.
var Kinds = []Kind{KindLatency, KindError, KindDrop}

// Fault is one request fault: the requests its Action matches are faulted with Probability,
// decided per request (see faults/inject).
type Fault = inject.Fault[Action]

// Action is what a fault does and to which requests: a Fault less its name and probability. A
// scenario's query and command faults embed it beside the fields every fault has.
type Action struct {
	// Kind is the fault's kind; a scenario file spells it fault.
	Kind Kind `json:"kind" yaml:"fault"`
	// Match limits the requests. Postgres: a prefix of the statement's text, compared without
	// case after leading spaces ("INSERT INTO runs"). Redis: a command name and, optionally, a
	// glob over its first key ("GET cache:*", "SET", "*"). Empty: every request.
	Match string `json:"match,omitempty" yaml:"match,omitempty"`
	// MatchRegexp (Postgres) limits the requests to statements the regular expression (Go's
	// syntax) matches.
	MatchRegexp string `json:"match_regexp,omitempty" yaml:"match_regexp,omitempty"`
	// Latency, Jitter and Distribution: how long a latency fault holds the request, drawn from the
	// fault's stream. uniform (the default): Latency ± Jitter; normal: mean Latency, standard
	// deviation Jitter, never below 0; exponential: Latency plus an exponential tail of mean
	// Jitter (most requests a little slow, a few very slow, as a database under load).
	Latency      units.Duration `json:"latency,omitempty" yaml:"latency,omitempty"`
	Jitter       units.Duration `json:"jitter,omitempty" yaml:"jitter,omitempty"`
	Distribution string         `json:"distribution,omitempty" yaml:"distribution,omitempty" jsonschema:"enum=uniform,enum=normal,enum=exponential"`
	// SQLState is a Postgres error fault's code. Empty: 40001.
	SQLState string `json:"sqlstate,omitempty" yaml:"sqlstate,omitempty"`
	// Error is a Redis error fault's class, the reply's first word. Empty: ERR.
	Error string `json:"error,omitempty" yaml:"error,omitempty"`
	// Max stops the fault after its first Max injections ("fail the first 2 attempts, then
	// succeed"). 0: no limit.
	Max int `json:"max,omitempty" yaml:"max,omitempty"`
}

// SQLStates are the Postgres codes with the server's own message; other codes of an error class
// are raised with a message of their own.
var SQLStates = map[string]string{
	"40001": "could not serialize access due to concurrent update",
	"40P01": "deadlock detected",
	"57P01": "terminating connection due to administrator command",
	"53300": "sorry, too many clients already",
	"08006": "connection failure",
	"55P03": "could not obtain lock on row in relation",
	"57014": "canceling statement due to statement timeout",
}

// RedisErrors are the Redis error classes with the server's own message.
var RedisErrors = map[string]string{
	"ERR":        "ERR injected by shakedown",
	"LOADING":    "LOADING Redis is loading the dataset in memory",
	"BUSY":       "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.",
	"READONLY":   "READONLY You can't write against a read only replica.",
	"OOM":        "OOM command not allowed when used memory > 'maxmemory'.",
	"MASTERDOWN": "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.",
	"TRYAGAIN":   "TRYAGAIN Multiple keys request during rehashing of slot",
}

var (
	sqlStateRE = regexp.MustCompile(`^[0-9A-Z]{5}$`)
	classRE    = regexp.MustCompile(`^[A-Z][A-Z0-9_]{0,31}$`)
)

// Validate reports every problem with f for connections speaking p, naming the field, the value
// and what is accepted.
func Validate(f Fault, p Protocol) error {
	family := string(p) + " fault"
	errs := f.Problems(family)
	bad := func(name string, v any, want string) {
		errs = append(errs, &field.Error{Family: family, Spec: f.Name, Field: name, Value: v, Want: want})
	}
	a := f.Action
	switch a.Kind {
	case KindLatency:
		if a.Latency <= 0 {
			bad("latency", a.Latency, "more than 0 for a latency fault, e.g. 200ms")
		}
		switch a.Distribution {
		case "", "uniform":
			if a.Jitter < 0 || a.Jitter > a.Latency {
				bad("jitter", a.Jitter, fmt.Sprintf("0 to latency (%s) for a uniform delay", a.Latency))
			}
		case "normal", "exponential":
			if a.Jitter <= 0 {
				bad("jitter", a.Jitter, fmt.Sprintf("more than 0: the %s delay's spread", a.Distribution))
			}
		default:
			bad("distribution", fmt.Sprintf("%q", a.Distribution), "uniform (the default), normal or exponential")
		}
	case KindError, KindDrop:
		if a.Latency != 0 || a.Jitter != 0 || a.Distribution != "" {
			bad("latency", a.Latency, "unset, with jitter and distribution: only a latency fault delays")
		}
	default:
		bad("fault", fmt.Sprintf("%q", a.Kind), fmt.Sprintf("one of %v", Kinds))
	}
	switch p {
	case Postgres:
		if a.Error != "" {
			bad("error", fmt.Sprintf("%q", a.Error), "unset: a Postgres error fault takes sqlstate")
		}
		if a.SQLState != "" {
			if a.Kind != KindError {
				bad("sqlstate", a.SQLState, "unset: only an error fault raises an error")
			} else if !sqlStateRE.MatchString(a.SQLState) || strings.HasPrefix(a.SQLState, "00") || strings.HasPrefix(a.SQLState, "01") || strings.HasPrefix(a.SQLState, "02") {
				bad("sqlstate", fmt.Sprintf("%q", a.SQLState), "an error's SQLSTATE, five digits or capitals outside classes 00-02, such as 40001 (serialization failure), 40P01 (deadlock), 57P01 (admin shutdown), 53300 (too many connections)")
			}
		}
		if a.MatchRegexp != "" {
			if _, err := regexp.Compile(a.MatchRegexp); err != nil {
				bad("match_regexp", fmt.Sprintf("%q", a.MatchRegexp), "a regular expression in Go's syntax ("+err.Error()+")")
			}
		}
	case Redis:
		if a.SQLState != "" {
			bad("sqlstate", fmt.Sprintf("%q", a.SQLState), "unset: a Redis error fault takes error")
		}
		if a.MatchRegexp != "" {
			bad("match_regexp", fmt.Sprintf("%q", a.MatchRegexp), `unset: a Redis fault matches with match ("GET cache:*")`)
		}
		if a.Error != "" {
			if a.Kind != KindError {
				bad("error", a.Error, "unset: only an error fault answers an error")
			} else if !classRE.MatchString(a.Error) {
				bad("error", fmt.Sprintf("%q", a.Error), "an error class in capitals: ERR, LOADING, BUSY, READONLY, OOM, MASTERDOWN, TRYAGAIN or another")
			}
		}
		if fs := strings.Fields(a.Match); len(fs) > 2 {
			bad("match", fmt.Sprintf("%q", a.Match), `a command and at most one key glob, e.g. "GET cache:*"`)
		}
	default:
		bad("protocol", fmt.Sprintf("%q", p), "postgres or redis")
	}
	return errors.Join(errs...)
}

// Request is one request as the stage framed it.
type Request struct {
	// Text is a Postgres statement's text, or a Redis command's name and first key.
	Text string
	// Command and Key (Redis): the command's name in capitals and its first argument.
	Command, Key string
}

// matcher is a fault's compiled Match and MatchRegexp.
type matcher struct {
	prefix  string
	re      *regexp.Regexp
	command string // Redis; "" or "*": any
	key     string // Redis key glob; "": any
}

func compile(p Protocol, a Action) matcher {
	var m matcher
	if p == Redis {
		fs := strings.Fields(a.Match)
		if len(fs) > 0 {
			m.command = strings.ToUpper(fs[0])
		}
		if len(fs) > 1 {
			m.key = fs[1]
		}
		return m
	}
	m.prefix = strings.TrimSpace(a.Match)
	if a.MatchRegexp != "" {
		m.re = regexp.MustCompile(a.MatchRegexp) // checked by Validate
	}
	return m
}

// Limit is the fault's Max (inject.Action).
func (a Action) Limit() int { return a.Max }

// delay draws a latency fault's delay from r, after its injection's draw.
func (a *Action) delay(r *rand.Rand) time.Duration {
	l, j := float64(a.Latency.D()), float64(a.Jitter.D())
	var d float64
	switch a.Distribution {
	case "normal":
		d = l + j*r.NormFloat64()
	case "exponential":
		d = l + j*r.ExpFloat64()
	default:
		if j == 0 {
			return a.Latency.D()
		}
		d = l + (2*r.Float64()-1)*j
	}
	return time.Duration(max(d, 0))
}

func (m *matcher) matches(r *Request) bool {
	if m.command != "" && m.command != "*" && m.command != r.Command {
		return false
	}
	if m.key != "" && !glob(m.key, r.Key) {
		return false
	}
	if m.prefix != "" {
		t := strings.TrimLeft(r.Text, " \t\r\n")
		if len(t) < len(m.prefix) || !strings.EqualFold(t[:len(m.prefix)], m.prefix) {
			return false
		}
	}
	return m.re == nil || m.re.MatchString(r.Text)
}

// glob matches s against a Redis-style pattern of '*' (any run), '?' (any byte) and '\' (the
// next byte as is).
func glob(pattern, s string) bool {
	for len(pattern) > 0 {
		switch pattern[0] {
		case '*':
			for len(pattern) > 0 && pattern[0] == '*' {
				pattern = pattern[1:]
			}
			if pattern == "" {
				return true
			}
			for i := 0; i <= len(s); i++ {
				if glob(pattern, s[i:]) {
					return true
				}
			}
			return false
		case '?':
			if s == "" {
				return false
			}
		case '\\':
			if len(pattern) > 1 {
				pattern = pattern[1:]
			}
			fallthrough
		default:
			if s == "" || s[0] != pattern[0] {
				return false
			}
		}
		pattern, s = pattern[1:], s[1:]
	}
	return s == ""
}
