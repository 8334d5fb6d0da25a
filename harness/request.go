package harness

import (
	"bytes"
	"context"
	"fmt"
	"hash/fnv"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/shakedown-dev/shakedown/internal/redact"
	"github.com/shakedown-dev/shakedown/scenarios"
	"github.com/shakedown-dev/shakedown/units"
)

// values are what the requests and the set-up commands use by name: the services' parts
// (postgres.dsn), known from the start, and the values captured from answers: the set-up
// requests' (fixed for the run) and the load targets' (the latest answer's). Safe for
// concurrent use.
type values struct {
	mu sync.RWMutex
	m  map[string]string
}

// Get returns the value captured under name, and whether one was.
func (v *values) Get(name string) (string, bool) {
	if v == nil {
		return "", false
	}
	v.mu.RLock()
	defer v.mu.RUnlock()
	s, ok := v.m[name]
	return s, ok
}

// Set captures value under name.
func (v *values) Set(name, value string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.m == nil {
		v.m = map[string]string{}
	}
	v.m[name] = value
}

// all returns a copy of every value, by name.
func (v *values) all() map[string]string {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return maps.Clone(v.m)
}

// hasAll reports whether every name has a value.
func (v *values) hasAll(names []string) bool {
	for _, n := range names {
		if _, ok := v.Get(n); !ok {
			return false
		}
	}
	return true
}

// request is a target with its templates parsed, as the targeter fills it.
type request struct {
	t      *target
	method string
	url    scenarios.Template
	header map[string][]scenarios.Template // the values of the headers that have placeholders
	body   scenarios.Template
	// needs are the captured values it uses.
	needs []string
	// urlRE matches the URLs it fills in (nil: its URL is static).
	urlRE *regexp.Regexp
	// tag names it in the load's requests, and tagged is its static header with the tag (see
	// tagger): set for the load, not for set-up requests.
	tag    string
	tagged http.Header
}

// compile parses t's templates, and the pattern its URLs are matched by (with the services'
// parts in vals: their values are fixed for the run).
func compile(t *target, vals *values) (*request, error) {
	r := &request{t: t, method: t.Method, header: map[string][]scenarios.Template{}}
	if r.method == "" {
		r.method = http.MethodGet
	}
	var err error
	parse := func(s string) scenarios.Template {
		tmpl, e := scenarios.ParseTemplate(s)
		if e != nil && err == nil {
			err = fmt.Errorf("target %s %s: %w", r.method, t.URL, e)
		}
		r.needs = append(r.needs, tmpl.Names()...)
		return tmpl
	}
	r.url, r.body = parse(t.URL), parse(string(t.Body))
	for k, vs := range t.Header {
		tmpls := make([]scenarios.Template, len(vs))
		static := true
		for i, v := range vs {
			tmpls[i] = parse(v)
			static = static && tmpls[i].Static()
		}
		if !static {
			r.header[k] = tmpls
		}
	}
	if !r.url.Static() {
		var b strings.Builder
		b.WriteString("^")
		for _, p := range r.url {
			switch p.Kind {
			case scenarios.PieceLiteral:
				b.WriteString(regexp.QuoteMeta(p.Text))
			case scenarios.PieceService:
				v, _ := vals.Get(p.Name)
				b.WriteString(regexp.QuoteMeta(v))
			default:
				b.WriteString(`[^/?#]*`)
			}
		}
		b.WriteString("$")
		r.urlRE = regexp.MustCompile(b.String())
	}
	slices.Sort(r.needs)
	r.needs = slices.Compact(r.needs)
	return r, err
}

// matches reports whether a result of method and url was sent to r.
func (r *request) matches(method, url string) bool {
	if method != r.method {
		return false
	}
	if r.urlRE == nil {
		return url == r.t.URL
	}
	return r.urlRE.MatchString(url)
}

// fill sets f to the request numbered seq, sent to r.
func (r *request) fill(f *targetFields, seq uint64, rnd *lazyRand, vals *values) {
	f.method, f.url, f.header, f.body = r.method, r.t.URL, r.t.Header, r.t.Body
	if !r.url.Static() {
		f.url = fillTemplate(r.url, seq, rnd, vals)
	}
	if !r.body.Static() {
		f.body = []byte(fillTemplate(r.body, seq, rnd, vals))
	}
	if len(r.header) > 0 {
		f.header = r.t.Header.Clone() // the target's own header is shared by every request
		for k, tmpls := range r.header {
			vs := make([]string, len(tmpls))
			for i, tmpl := range tmpls {
				vs[i] = fillTemplate(tmpl, seq, rnd, vals)
			}
			f.header[k] = vs
		}
	}
}

type targetFields struct {
	method, url string
	header      http.Header
	body        []byte
}

// fillTemplate writes t out with the request's values.
func fillTemplate(t scenarios.Template, seq uint64, rnd *lazyRand, vals *values) string {
	var b strings.Builder
	for _, p := range t {
		switch p.Kind {
		case scenarios.PieceLiteral:
			b.WriteString(p.Text)
		case scenarios.PieceSeq:
			b.WriteString(strconv.FormatUint(seq, 10))
		case scenarios.PieceUUID:
			b.WriteString(uuid4(rnd.get()))
		case scenarios.PieceRandom:
			b.WriteString(randomText(rnd.get(), p.N))
		case scenarios.PieceCaptured, scenarios.PieceService:
			v, _ := vals.Get(p.Name)
			b.WriteString(v)
		}
	}
	return b.String()
}

// lazyRand is one request's source of random values, made on first use: a PCG of the run's seed
// and the request's number, so the n-th request of a replay draws the same values whichever
// worker sends it.
type lazyRand struct {
	seed, stream, seq uint64
	r                 *rand.Rand
}

func (l *lazyRand) get() *rand.Rand {
	if l.r == nil {
		l.r = rand.New(rand.NewPCG(l.seed^l.stream, l.seq))
	}
	return l.r
}

// streamOf names a family of requests' draws (the load's, the set-up's).
func streamOf(name string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return h.Sum64()
}

// uuid4 formats 16 random bytes as a version 4 UUID.
func uuid4(r *rand.Rand) string {
	var b [16]byte
	for i := 0; i < 16; i += 8 {
		u := r.Uint64()
		for j := range 8 {
			b[i+j] = byte(u >> (8 * j))
		}
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

const alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

func randomText(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alnum[r.IntN(len(alnum))]
	}
	return string(b)
}

// check tests an answer against the target's checks, in order, and returns the first that fails
// (its name, and what was wrong), or "".
func (r *request) check(h http.Header, body []byte) (string, error) {
	for i := range r.t.Checks {
		c := &r.t.Checks[i]
		if err := c.Test(h, body); err != nil {
			return c.Label(), err
		}
	}
	return "", nil
}

// capture takes the values a target's answer gives, when the answer is a success.
func capture(r *request, code int, h http.Header, body []byte, vals *values) {
	if len(r.t.Capture) == 0 || !units.Expected(r.t.Expect, code) {
		return
	}
	for name, loc := range r.t.Capture {
		if v := loc.Find(h, body); v != "" {
			vals.Set(name, v)
		}
	}
}

// sendSetupRequest sends set-up step i's request to the SUT at base, with vals, and sets in vals
// the values it captures; red learns those the plan names secret. A request whose status is not
// one it expects, or whose answer lacks a value it captures, is an error with the answer's status
// and the start of its body, redacted before it is cut (a token cut in two would no longer look
// like one).
func sendSetupRequest(ctx context.Context, client *http.Client, p *Plan, base string, i int, lt *scenarios.LoadTarget, vals *values, red *redact.Redactor) error {
	t := targetOf(*lt)
	r, err := compile(&t, vals)
	if err != nil {
		return err
	}
	var f targetFields
	r.fill(&f, 0, &lazyRand{seed: p.seed, stream: streamOf("setup"), seq: uint64(i)}, vals)
	if strings.HasPrefix(f.url, "/") {
		f.url = base + f.url
	}
	req, err := http.NewRequestWithContext(ctx, f.method, f.url, bytes.NewReader(f.body))
	if err != nil {
		return err
	}
	req.Header = f.header.Clone()
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("request %s %s: %w", f.method, lt.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("request %s %s: reading the answer: %w", f.method, lt.URL, err)
	}
	if !units.Expected(t.Expect, resp.StatusCode) {
		return fmt.Errorf("request %s %s answered %d, not a status it expects (%s); its body: %s", f.method, lt.URL, resp.StatusCode, expectString(t.Expect), head(red.String(string(body))))
	}
	if name, err := r.check(resp.Header, body); err != nil {
		return fmt.Errorf("request %s %s answered %d but failed its check %q: %v; its body: %s", f.method, lt.URL, resp.StatusCode, name, red.Error(err), head(red.String(string(body))))
	}
	for _, name := range slices.Sorted(maps.Keys(lt.Capture)) {
		loc := lt.Capture[name]
		v := loc.Find(resp.Header, body)
		if v == "" {
			return fmt.Errorf("request %s %s answered %d without %s to capture as %s; its body: %s", f.method, lt.URL, resp.StatusCode, loc, name, head(red.String(string(body))))
		}
		vals.Set(name, v)
		if p.secrets.captures[name] {
			red.Add(v)
		}
	}
	return nil
}

func expectString(e []units.StatusRange) string {
	if len(e) == 0 {
		e = units.DefaultExpect
	}
	parts := make([]string, len(e))
	for i, r := range e {
		parts[i] = r.String()
	}
	return strings.Join(parts, ", ")
}

// head returns the start of an answer's body, for an error.
func head(s string) string {
	const n = 200
	if len(s) > n {
		return strconv.Quote(s[:n]) + "..."
	}
	return strconv.Quote(s)
}
