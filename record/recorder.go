package record

import (
	"maps"
	"slices"
	"sync"
	"time"
)

// lateWindow is how long a second stays open for results that arrive late (a request's result
// arrives when it completes, but counts in the second it started). Results older than that still
// count in their second but not in its latency quantiles.
const lateWindow = 60

// Recorder builds a Record while a run goes on. Its methods are safe for concurrent use and cheap:
// a load generator can call AddResult for every response without waiting on anything slow.
type Recorder struct {
	mu       sync.Mutex
	start    time.Time
	rec      Record
	open     map[int64]*Histogram // per-second histograms still accepting results
	newest   int64
	phases   map[string]*Histogram
	all      Histogram
	summary  map[string]*DecisionSummary
	series   map[string]int // key -> index in rec.Series
	replicas map[string]int // key -> index in rec.ReplicaSeries
	targets  map[string]*TargetStats
}

// NewRecorder starts a record whose offsets count from start (keep its monotonic reading: pass
// time.Now()).
func NewRecorder(start time.Time, info ScenarioInfo, seed uint64) *Recorder {
	return &Recorder{
		start:    start,
		rec:      Record{Version: SchemaVersion, Scenario: info, Seed: seed, Started: start, Status: StatusCompleted},
		open:     map[int64]*Histogram{},
		phases:   map[string]*Histogram{},
		summary:  map[string]*DecisionSummary{},
		series:   map[string]int{},
		replicas: map[string]int{},
		targets:  map[string]*TargetStats{},
	}
}

// Since returns t as an offset from the start of the run.
func (r *Recorder) Since(t time.Time) Duration { return Duration(t.Sub(r.start)) }

// Now returns the current offset.
func (r *Recorder) Now() Duration { return r.Since(time.Now()) }

// Start returns the instant offsets count from.
func (r *Recorder) Start() time.Time { return r.start }

// BeginPhase ends the current phase, if any, at the same instant and starts the named one. The
// instant is read under the recorder's lock, so that a result added before it was answered before
// it (see AddResult).
func (r *Recorder) BeginPhase(name string, rate float64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.Now()
	r.endPhase(now)
	r.rec.Phases = append(r.rec.Phases, Phase{Name: name, Start: now, End: -1, Rate: rate})
}

// EndPhases ends the open phase: the load is over, and what follows (checks, teardown) is in
// none.
func (r *Recorder) EndPhases() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.endPhase(r.Now())
}

func (r *Recorder) endPhase(at Duration) {
	if n := len(r.rec.Phases); n > 0 && r.rec.Phases[n-1].End < 0 {
		r.rec.Phases[n-1].End = at
	}
}

// phaseOf returns the phase a request sent at sent and answered at answered counts in: the fault
// phase when it began in between, else the phase that holds at sent; nil when none does.
func (r *Recorder) phaseOf(sent, answered Duration) *Phase {
	p := r.phaseAt(sent)
	if p == nil || p.Name == PhaseFault {
		return p
	}
	for i := range r.rec.Phases {
		if f := &r.rec.Phases[i]; f.Name == PhaseFault && f.Start > sent && answered >= f.Start {
			return f
		}
	}
	return p
}

// phaseAt returns the phase that holds at, or nil.
func (r *Recorder) phaseAt(at Duration) *Phase {
	for i := len(r.rec.Phases) - 1; i >= 0; i-- {
		p := &r.rec.Phases[i]
		if at >= p.Start && (p.End < 0 || at < p.End) {
			return p
		}
	}
	return nil
}

// AddResult counts one request's result in the second in which it started, and in the phase in
// which it started, except that a request still unanswered when the fault phase began counts in
// the fault phase: the fault may have touched it, and the steady state before the fault is judged
// by the requests the fault cannot have touched (phaseOf).
func (r *Recorder) AddResult(res Result) {
	at := r.Since(res.At)
	sec := int64(max(at, 0) / Duration(time.Second))
	r.mu.Lock()
	defer r.mu.Unlock()
	for int64(len(r.rec.Seconds)) <= sec {
		r.rec.Seconds = append(r.rec.Seconds, Second{At: Duration(int64(len(r.rec.Seconds)) * int64(time.Second))})
	}
	r.rec.Seconds[sec].add(res)
	if h, ok := r.open[sec]; ok {
		h.Record(res.Latency)
	} else if sec > r.newest-lateWindow {
		h := &Histogram{}
		h.Record(res.Latency)
		r.open[sec] = h
	}
	if sec > r.newest {
		r.newest = sec
		r.closeSeconds(sec - lateWindow)
	}
	for _, ack := range res.Acks {
		r.addAck(ack)
	}
	if r.rec.Statuses == nil {
		r.rec.Statuses = map[int]int64{}
	}
	r.rec.Statuses[res.Code]++
	var ts *TargetStats
	if res.Target != "" {
		ts = r.targets[res.Target]
		if ts == nil {
			ts = &TargetStats{Counts: map[string]Counts{}, Latency: map[string]*Histogram{}}
			r.targets[res.Target] = ts
		}
		ts.add(PhaseAll, res)
		for int64(len(ts.Seconds)) <= sec {
			ts.Seconds = append(ts.Seconds, Counts{})
		}
		ts.Seconds[sec].add(res)
	}
	if p := r.phaseOf(at, at+Duration(res.Latency)); p != nil {
		p.Counts.add(res)
		if ts != nil {
			ts.add(p.Name, res)
		}
		h := r.phases[p.Name]
		if h == nil {
			h = &Histogram{}
			r.phases[p.Name] = h
		}
		h.Record(res.Latency)
	}
	r.all.Record(res.Latency)
}

// addAck counts one acknowledgement under its check.
func (r *Recorder) addAck(ack Ack) {
	if r.rec.Acks == nil {
		r.rec.Acks = map[string]*Acks{}
	}
	a := r.rec.Acks[ack.Check]
	if a == nil {
		a = &Acks{}
		r.rec.Acks[ack.Check] = a
	}
	switch {
	case ack.ID == "":
		a.WithoutID++
	default:
		a.Total++
		if len(a.IDs) < MaxAcks {
			a.IDs = append(a.IDs, ack.ID)
		}
	}
}

// closeSeconds computes the quantiles of every open second up to and including last.
func (r *Recorder) closeSeconds(last int64) {
	for sec, h := range r.open {
		if sec <= last {
			s := &r.rec.Seconds[sec]
			s.P50, s.P90, s.P95, s.P99 = Duration(h.Quantile(.50)), Duration(h.Quantile(.90)), Duration(h.Quantile(.95)), Duration(h.Quantile(.99))
			s.Max = Duration(h.Max())
			delete(r.open, sec)
		}
	}
}

// AddFaultEvent appends a fault event; a zero At means now.
func (r *Recorder) AddFaultEvent(e FaultEvent) {
	if e.At == 0 {
		e.At = r.Now()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rec.Faults = append(r.rec.Faults, e)
	if e.Target != "" && !slices.Contains(r.rec.Env.Touched, e.Target) {
		r.rec.Env.Touched = append(r.rec.Env.Touched, e.Target)
	}
}

// AddDecision counts a decision in its fault's summary and keeps it while fewer than MaxDecisions
// are kept. A zero At means now.
func (r *Recorder) AddDecision(d Decision) {
	if d.At == 0 {
		d.At = r.Now()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.summary[d.Fault]
	if s == nil {
		s = &DecisionSummary{Fault: d.Fault, Unit: d.Unit}
		r.summary[d.Fault] = s
	}
	s.add(d)
	if len(r.rec.DecisionLog) < MaxDecisions {
		r.rec.DecisionLog = append(r.rec.DecisionLog, d)
	}
}

// AddEvent appends an event; a zero At means now.
func (r *Recorder) AddEvent(e Event) {
	if e.At == 0 {
		e.At = r.Now()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rec.Events = append(r.rec.Events, e)
}

// AddSample appends one point to the series named by name and labels.
func (r *Recorder) AddSample(at Duration, name string, labels map[string]string, v float64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	addPoint(r.series, &r.rec.Series, at, name, labels, v)
}

// AddReplicaSample appends one point to a replica's own series (Record.ReplicaSeries): labels
// include InstanceLabel.
func (r *Recorder) AddReplicaSample(at Duration, name string, labels map[string]string, v float64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	addPoint(r.replicas, &r.rec.ReplicaSeries, at, name, labels, v)
}

// addPoint appends one point to the series of all named by name and labels, found through
// index (key -> position in all) or added.
func addPoint(index map[string]int, all *[]Series, at Duration, name string, labels map[string]string, v float64) {
	key := SeriesKey(name, labels)
	i, ok := index[key]
	if !ok {
		i = len(*all)
		index[key] = i
		*all = append(*all, Series{Name: name, Labels: labels})
	}
	(*all)[i].Points = append((*all)[i].Points, Point{At: at, Value: v})
}

// Finish ends the open phase and returns the record with status st (err explains an abort or a
// failure). The recorder may keep receiving calls afterwards; they do not change the returned
// record.
func (r *Recorder) Finish(st Status, err error) *Record {
	now := r.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.endPhase(now)
	r.closeSeconds(r.newest)
	out := r.rec
	out.Status = st
	if err != nil {
		out.Error = err.Error()
	}
	out.Duration = now
	out.Phases = slices.Clone(r.rec.Phases)
	out.Seconds = slices.Clone(r.rec.Seconds)
	out.Faults = slices.Clone(r.rec.Faults)
	out.Events = slices.Clone(r.rec.Events)
	out.DecisionLog = slices.Clone(r.rec.DecisionLog)
	out.Series = make([]Series, len(r.rec.Series))
	for i, s := range r.rec.Series {
		s.Points = slices.Clone(s.Points)
		out.Series[i] = s
	}
	out.ReplicaSeries = nil
	for _, s := range r.rec.ReplicaSeries {
		s.Points = slices.Clone(s.Points)
		out.ReplicaSeries = append(out.ReplicaSeries, s)
	}
	out.Env.Replicas = slices.Clone(r.rec.Env.Replicas)
	out.Acks = nil
	for name, a := range r.rec.Acks {
		if out.Acks == nil {
			out.Acks = map[string]*Acks{}
		}
		c := *a
		c.IDs = slices.Clone(a.IDs)
		out.Acks[name] = &c
	}
	out.Durability = nil
	for name, d := range r.rec.Durability {
		if out.Durability == nil {
			out.Durability = map[string]*Durability{}
		}
		c := *d
		out.Durability[name] = &c
	}
	out.Statuses = maps.Clone(r.rec.Statuses)
	if r.rec.Scrape != nil {
		sc := *r.rec.Scrape
		sc.Instances = slices.Clone(sc.Instances)
		out.Scrape = &sc
	}
	if len(r.targets) > 0 {
		out.Targets = map[string]*TargetStats{}
		for name, ts := range r.targets {
			c := &TargetStats{Counts: maps.Clone(ts.Counts), Latency: map[string]*Histogram{}, Seconds: slices.Clone(ts.Seconds), Needs: slices.Clone(ts.Needs)}
			for ph, h := range ts.Latency {
				c.Latency[ph] = &Histogram{}
				c.Latency[ph].Merge(h)
			}
			out.Targets[name] = c
		}
	}
	out.Latency = map[string]*Histogram{}
	for name, h := range r.phases {
		c := &Histogram{}
		c.Merge(h)
		out.Latency[name] = c
	}
	all := &Histogram{}
	all.Merge(&r.all)
	out.Latency[PhaseAll] = all
	out.Decisions = nil
	for _, s := range r.summary {
		out.Decisions = append(out.Decisions, *s)
	}
	slices.SortFunc(out.Decisions, func(a, b DecisionSummary) int {
		if a.Fault < b.Fault {
			return -1
		}
		if a.Fault > b.Fault {
			return 1
		}
		return 0
	})
	return &out
}

func (s *Second) add(res Result) { s.Counts.add(res) }

// Totals returns the counts of every result so far and the last complete second (the one before
// the newest), for progress lines.
func (r *Recorder) Totals() (all Counts, last Second) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range r.rec.Seconds {
		all.Add(s.Counts)
	}
	if n := len(r.rec.Seconds); n >= 2 {
		last = r.rec.Seconds[n-2]
		if h, ok := r.open[int64(n-2)]; ok {
			last.P95 = Duration(h.Quantile(.95))
		}
	}
	return all, last
}

func (t *TargetStats) add(phase string, res Result) {
	c := t.Counts[phase]
	c.add(res)
	t.Counts[phase] = c
	h := t.Latency[phase]
	if h == nil {
		h = &Histogram{}
		t.Latency[phase] = h
	}
	h.Record(res.Latency)
}

// LastSecond returns the newest complete second (the one before the newest that has results),
// and false when there is none yet.
func (r *Recorder) LastSecond() (Second, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := len(r.rec.Seconds)
	if n < 2 {
		return Second{}, false
	}
	return r.rec.Seconds[n-2], true
}

// Latest returns the newest value of every series of the named metric, keyed by the value of
// label (the breaker states by name, for progress lines).
func (r *Recorder) Latest(name, label string) map[string]float64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]float64{}
	for _, s := range r.rec.Series {
		if s.Name == name && len(s.Points) > 0 {
			out[s.Labels[label]] = s.Points[len(s.Points)-1].Value
		}
	}
	return out
}
