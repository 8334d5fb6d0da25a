package harness

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/shakedown-dev/shakedown/answer"
	"github.com/shakedown-dev/shakedown/record"
	"github.com/shakedown-dev/shakedown/scenarios"
	"github.com/shakedown-dev/shakedown/units"
)

// target is one request the load generator sends. Its URL, headers and body may have the
// placeholders of a scenarios.Template: {{seq}}, the request's number (0, 1, 2, ...), so that
// requests can differ (a prompt no cache has seen); {{uuid}} and {{random N}}, drawn from the
// run's seed; {{service.part}}, a service's part; {{name}}, a captured value.
type target struct {
	// Name labels the target's results in the record; empty: no per-target statistics. Targets
	// may share a method and URL (a streamed and a plain call of one endpoint): each result is
	// told apart by the target that sent it (see tagger).
	Name   string
	Method string
	URL    string
	Header http.Header
	Body   []byte
	// Expect are the statuses that count as a success. Empty: units.DefaultExpect (2xx, 3xx).
	Expect []units.StatusRange
	// Capture takes values from the target's successful answers, by name, for other targets to
	// use as {{name}} (the latest answer's). A target that uses a value no answer has given yet
	// is skipped in the round.
	Capture map[string]units.Locator
	// Checks test each answer with an expected status; one that fails a check failed, and
	// gives no value to capture.
	Checks []answer.Check
}

// targetOf is the load target of a scenario.
func targetOf(t scenarios.LoadTarget) target {
	h := http.Header{}
	for k, v := range t.Headers {
		h.Set(k, v)
	}
	return target{Name: t.Name, Method: t.Method, URL: t.URL, Header: h, Body: []byte(t.Body), Expect: t.Expect, Capture: t.Capture, Checks: t.Checks}
}

// targeter sends the requests round-robin, skipping one whose captured values are not there yet,
// and fills in each request's number and values. When no request has its values, the next is
// sent with the missing ones empty (a scenario's checks make sure some target always has them:
// one that captures uses no target's value).
//
// With bases, a URL that starts with "/" goes to one of them: each round of the targets to the
// next base, round-robin, so that every target reaches every replica alike.
func targeter(rs []*request, seed uint64, vals *values, bases []string) vegeta.Targeter {
	var next, seq atomic.Uint64
	stream := streamOf("load")
	return func(t *vegeta.Target) error {
		var r *request
		for range rs {
			r = rs[(next.Add(1)-1)%uint64(len(rs))]
			if vals.hasAll(r.needs) {
				break
			}
		}
		n := seq.Add(1) - 1
		var f targetFields
		r.fill(&f, n, &lazyRand{seed: seed, stream: stream, seq: n}, vals)
		if len(bases) > 0 && strings.HasPrefix(f.url, "/") {
			f.url = bases[(n/uint64(len(rs)))%uint64(len(bases))] + f.url
		}
		switch {
		case r.tag == "": // not tagged (set-up requests, tests of the targeter alone)
		case len(r.header) == 0: // f.header is the target's own: its tagged copy
			f.header = r.tagged
		default: // a copy for this request
			f.header.Set(tagHeader, r.tag)
		}
		t.Method, t.URL, t.Header, t.Body = f.method, f.url, f.header, f.body
		return nil
	}
}

// matcher returns the request a result was sent to: the first with its method and a URL its
// template fills in, or nil. A URL under one of bases is matched by its path too.
func matcher(rs []*request, bases []string) func(method, url string) *request {
	find := func(method, url string) *request {
		for _, r := range rs {
			if r.matches(method, url) {
				return r
			}
		}
		return nil
	}
	return func(method, url string) *request {
		if r := find(method, url); r != nil {
			return r
		}
		for _, b := range bases {
			if rest, ok := strings.CutPrefix(url, b); ok && strings.HasPrefix(rest, "/") {
				return find(method, rest)
			}
		}
		return nil
	}
}

// loadOptions tunes the load generator. Every zero value stands for Vegeta's default.
type loadOptions struct {
	Timeout     time.Duration // per request; 0: 30s
	Workers     uint64        // initial workers; 0: 10
	MaxWorkers  uint64        // 0: unbounded (workers are added when all are busy)
	Connections int           // idle connections per host; 0: 10000
	// Acks find the writes the SUT acknowledged, one rule for each durability check.
	Acks []*ackRule
	// Seed draws the requests' {{uuid}} and {{random N}}.
	Seed uint64
	// Values are the services' parts and the values captured before the load (by the set-up
	// requests). nil: none.
	Values *values
	// Bases are the base URLs of the SUT's replicas: a target URL that starts with "/" is sent
	// to each in turn (see targeter). Empty: target URLs are sent as they are.
	Bases []string
}

// attack sends targets round-robin (see target for their placeholders), paced by pacer, for duration (0: until the pacer stops or
// ctx ends), and puts every result into rec as it arrives: time, latency, status, bytes, error,
// timeout, and whether the response said it was degraded (header X-Degraded: true). The results
// are consumed on their own goroutine and AddResult is cheap, so the load never waits on the
// record. Cancelling ctx stops the attack; attack returns once every request in flight ended.
func attack(ctx context.Context, targets []target, pacer vegeta.Pacer, duration time.Duration, opt loadOptions, rec *record.Recorder) error {
	if len(targets) == 0 {
		return fmt.Errorf("load: no targets")
	}
	vals := opt.Values
	if vals == nil {
		vals = &values{}
	}
	rs := make([]*request, len(targets))
	for i := range targets {
		r, err := compile(&targets[i], vals)
		if err != nil {
			return fmt.Errorf("load: %w", err)
		}
		rs[i] = r
		if r.t.Name != "" {
			rec.DeclareTarget(r.t.Name, r.needs)
		}
	}
	var opts []func(*vegeta.Attacker)
	if opt.Workers > 0 {
		opts = append(opts, vegeta.Workers(opt.Workers))
	}
	if opt.MaxWorkers > 0 {
		opts = append(opts, vegeta.MaxWorkers(opt.MaxWorkers))
	}
	tags := newTagger(rs, opt)
	opts = append(opts, vegeta.Client(tags.client()))
	atk := vegeta.NewAttacker(opts...)
	results := atk.Attack(targeter(rs, opt.Seed, vals, opt.Bases), pacer, duration, "shakedown")
	match := matcher(rs, opt.Bases)
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-ctx.Done():
			atk.Stop()
		case <-done:
		}
	}()
	for r := range results {
		res := toResult(r)
		m, ok := tags.sentBy(r.Seq)
		if !ok { // it never reached the transport: its method and URL say which target it was
			m = match(r.Method, r.URL)
		}
		if m != nil {
			res.Target, res.Expect = m.t.Name, m.t.Expect
			if !res.Failed() {
				res.Check, _ = m.check(r.Headers, r.Body)
			}
			if res.Check == "" {
				capture(m, int(r.Code), r.Headers, r.Body, vals)
			}
		}
		for _, rule := range opt.Acks {
			if id, matched := rule.find(r, res.Target); matched {
				res.Acks = append(res.Acks, record.Ack{Check: rule.Check, ID: id})
			}
		}
		rec.AddResult(res)
	}
	return nil
}

func toResult(r *vegeta.Result) record.Result {
	res := record.Result{At: r.Timestamp, Latency: r.Latency, Code: int(r.Code), BytesIn: r.BytesIn, BytesOut: r.BytesOut}
	if r.Error != "" {
		res.Error = r.Code == 0
		res.Timeout = strings.Contains(r.Error, "Client.Timeout") || strings.Contains(r.Error, "deadline exceeded")
		res.Error = res.Error || res.Timeout
	}
	res.Degraded = strings.EqualFold(r.Headers.Get("X-Degraded"), "true")
	return res
}

// step is one rate held for a duration.
type step struct {
	Rate     vegeta.Rate
	Duration time.Duration
}

// stepPacer holds each step's rate for its duration, then stops. Vegeta's library has constant,
// linear and sine pacers but no steps.
type stepPacer struct{ Steps []step }

// hits returns how many hits the steps send in the first t.
func (p stepPacer) hits(t time.Duration) float64 {
	var n float64
	for _, s := range p.Steps {
		d := min(t, s.Duration)
		n += perNs(s.Rate) * float64(d)
		if t -= d; t <= 0 {
			break
		}
	}
	return n
}

func perNs(r vegeta.Rate) float64 {
	if r.Per <= 0 {
		return 0
	}
	return float64(r.Freq) / float64(r.Per)
}

// Rate returns the rate of the step that holds elapsed, in hits per second (0 after the last).
func (p stepPacer) Rate(elapsed time.Duration) float64 {
	for _, s := range p.Steps {
		if elapsed < s.Duration {
			return perNs(s.Rate) * 1e9
		}
		elapsed -= s.Duration
	}
	return 0
}

// Pace implements vegeta.Pacer like Vegeta's own pacers: no wait while behind, else the time
// until the next hit is due at the current step's rate.
func (p stepPacer) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	var total time.Duration
	for _, s := range p.Steps {
		total += s.Duration
	}
	if elapsed >= total {
		return 0, true
	}
	expected := p.hits(elapsed)
	if hits < uint64(expected) {
		return 0, false
	}
	rate := p.Rate(elapsed)
	if rate <= 0 {
		// A step at rate 0: wait until the next step begins.
		var t time.Duration
		for _, s := range p.Steps {
			if t += s.Duration; t > elapsed {
				return t - elapsed, false
			}
		}
		return 0, true
	}
	wait := (float64(hits+1) - expected) * 1e9 / rate
	return time.Duration(math.Max(wait, 0)), false
}
