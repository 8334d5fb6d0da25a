package record

import (
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/shakedown-dev/shakedown/units"
)

// Result is one request's outcome as the load generator saw it.
type Result struct {
	At       time.Time     // when the request was sent
	Latency  time.Duration // until the response was read, or the error
	Code     int           // HTTP status; 0 when there was no response
	Error    bool          // a transport error, a timeout, or no response
	Timeout  bool          // the request timed out (implies Error)
	Degraded bool          // the response said it was degraded (X-Degraded: true)
	BytesIn  uint64
	BytesOut uint64
	// Target names the load target the request was sent to ("" when there is one unnamed).
	Target string
	// Acks are the durability assertions whose acknowledgement rule the answer matched, each with
	// the write's id (empty: it matched the rule's status but had no id where the rule says).
	Acks []Ack
	// Expect are the statuses that count as a success for the request's target. Empty:
	// units.DefaultExpect (2xx and 3xx).
	Expect []units.StatusRange
	// Check names the first of its target's checks the answer failed (a JSON field missing, a
	// stream cut short): an answer with an expected status that fails a check failed too.
	Check string
}

// Ack is one answer that a durability assertion's rule recognised as an acknowledged write.
type Ack struct {
	Check string // the durability assertion's name
	ID    string // the write's id; empty when the answer had none where the rule says
}

// Failed reports whether the request did not succeed: no response, a status its target does not
// expect, or an answer that failed one of its target's checks.
func (r Result) Failed() bool {
	return r.Error || r.Code == 0 || !units.Expected(r.Expect, r.Code) || r.Check != ""
}

// Counts are request counts by outcome: by status class, and whether each request succeeded (a
// status its target expects: 2xx and 3xx unless the target says otherwise).
type Counts struct {
	Requests int64 `json:"requests"`
	OK       int64 `json:"ok"`       // 1xx-3xx
	Client   int64 `json:"client"`   // 4xx
	Server   int64 `json:"server"`   // 5xx
	Errors   int64 `json:"errors"`   // no response: transport errors and timeouts
	Timeouts int64 `json:"timeouts"` // of Errors, those that timed out
	Degraded int64 `json:"degraded"` // responses marked degraded (any status)
	// Failed counts the requests that did not succeed: Errors, the answers whose status the
	// target does not expect (Failed4xx and Failed5xx are those answers' 4xx and 5xx), and the
	// answers with an expected status that failed a check (FailedChecks, by the check's name).
	Failed    int64 `json:"failed"`
	Failed4xx int64 `json:"failed_4xx"`
	Failed5xx int64 `json:"failed_5xx"`
	// FailedChecks is copied on write: a copy of Counts never sees another's changes.
	FailedChecks map[string]int64 `json:"failed_checks,omitempty"`
	BytesIn      int64            `json:"bytes_in"`
	BytesOut     int64            `json:"bytes_out"`
}

func (c *Counts) add(r Result) {
	c.Requests++
	switch {
	case r.Error || r.Code == 0:
		c.Errors++
		if r.Timeout {
			c.Timeouts++
		}
	case r.Code >= 500:
		c.Server++
	case r.Code >= 400:
		c.Client++
	default:
		c.OK++
	}
	if r.Failed() {
		c.Failed++
		switch {
		case r.Error || r.Code == 0:
		case !units.Expected(r.Expect, r.Code) && r.Code >= 500:
			c.Failed5xx++
		case !units.Expected(r.Expect, r.Code) && r.Code >= 400:
			c.Failed4xx++
		case r.Check != "":
			c.addChecks(map[string]int64{r.Check: 1})
		}
	}
	if r.Degraded {
		c.Degraded++
	}
	c.BytesIn += int64(r.BytesIn)
	c.BytesOut += int64(r.BytesOut)
}

// addChecks adds failed checks to FailedChecks on a copy of the map: a Counts copied before
// never sees the change.
func (c *Counts) addChecks(add map[string]int64) {
	if len(add) == 0 {
		return
	}
	m := maps.Clone(c.FailedChecks)
	if m == nil {
		m = map[string]int64{}
	}
	for k, n := range add {
		m[k] += n
	}
	c.FailedChecks = m
}

// Add adds o to c.
func (c *Counts) Add(o Counts) {
	c.Requests += o.Requests
	c.OK += o.OK
	c.Client += o.Client
	c.Server += o.Server
	c.Errors += o.Errors
	c.Timeouts += o.Timeouts
	c.Degraded += o.Degraded
	c.Failed += o.Failed
	c.Failed4xx += o.Failed4xx
	c.Failed5xx += o.Failed5xx
	c.addChecks(o.FailedChecks)
	c.BytesIn += o.BytesIn
	c.BytesOut += o.BytesOut
}

// Good is the number of requests that succeeded: every request but the Failed ones.
func (c Counts) Good() int64 { return c.Requests - c.Failed }

// Availability is Good over Requests, or 1 when there were no requests.
func (c Counts) Availability() float64 {
	if c.Requests == 0 {
		return 1
	}
	return float64(c.Good()) / float64(c.Requests)
}

// ErrorRate is Failed over Requests (1 - Availability), or 0 when there were no requests.
func (c Counts) ErrorRate() float64 {
	if c.Requests == 0 {
		return 0
	}
	return float64(c.Failed) / float64(c.Requests)
}

// DegradedShare is Degraded over Requests, or 0 when there were no requests.
func (c Counts) DegradedShare() float64 {
	if c.Requests == 0 {
		return 0
	}
	return float64(c.Degraded) / float64(c.Requests)
}

// CountsBetween sums the seconds that start in [from, to).
func (r *Record) CountsBetween(from, to Duration) Counts {
	var c Counts
	for _, s := range r.Seconds {
		if s.At >= from && s.At < to {
			c.Add(s.Counts)
		}
	}
	return c
}

// Phase returns the phase with the given name.
func (r *Record) Phase(name string) (Phase, bool) {
	for _, p := range r.Phases {
		if p.Name == name {
			return p, true
		}
	}
	return Phase{}, false
}

// PhaseCounts sums the requests that started in the named phase ("all" for the whole run).
func (r *Record) PhaseCounts(name string) (Counts, bool) {
	if name == PhaseAll {
		return r.CountsBetween(0, r.Duration+Duration(time.Second)), true
	}
	p, ok := r.Phase(name)
	return p.Counts, ok
}

// FindSeries returns the series with the given name whose labels include every pair in match.
func (r *Record) FindSeries(name string, match map[string]string) []Series {
	return findSeries(r.Series, name, match)
}

// FindReplicaSeries is FindSeries over each replica's own series (ReplicaSeries), sorted by
// replica.
func (r *Record) FindReplicaSeries(name string, match map[string]string) []Series {
	out := findSeries(r.ReplicaSeries, name, match)
	slices.SortStableFunc(out, func(a, b Series) int { return strings.Compare(a.Labels[InstanceLabel], b.Labels[InstanceLabel]) })
	return out
}

func findSeries(all []Series, name string, match map[string]string) []Series {
	var out []Series
	for _, s := range all {
		if s.Name != name {
			continue
		}
		ok := true
		for k, v := range match {
			if s.Labels[k] != v {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, s)
		}
	}
	return out
}

// Window is a span of one fault's time, in one of two readings:
//
//   - Record.FaultWindows: the time the fault was active in a run, from its first application to
//     its removal (or the end of the run), counted from the run's start;
//   - faults.Schedule: a window of the fault's schedule, planned before the run, counted from the
//     fault phase's start, with the draw that decides whether the fault acts in it.
type Window struct {
	Fault  string   `json:"fault"`
	Kind   string   `json:"kind"`
	Target string   `json:"target"`
	Start  Duration `json:"start"`
	End    Duration `json:"end"`
	// Drawn is true for a planned window of a kind drawn per window or per tick: Draw is its
	// draw, and Open whether it is under the fault's probability. A planned window of another
	// kind is not drawn and always Open. FaultWindows leaves the three unset.
	Drawn bool    `json:"drawn,omitempty"`
	Draw  float64 `json:"draw,omitempty"`
	Open  bool    `json:"open,omitempty"`
}

// FaultWindows pairs each applied event with the next removal of the same fault.
func (r *Record) FaultWindows() []Window {
	var out []Window
	open := map[string]int{}
	for _, e := range r.Faults {
		switch e.Action {
		case FaultApplied:
			if _, ok := open[e.Fault]; ok {
				continue
			}
			open[e.Fault] = len(out)
			out = append(out, Window{Fault: e.Fault, Kind: e.Kind, Target: e.Target, Start: e.At, End: r.Duration})
		case FaultRemoved:
			if i, ok := open[e.Fault]; ok {
				out[i].End = e.At
				delete(open, e.Fault)
			}
		}
	}
	return out
}
