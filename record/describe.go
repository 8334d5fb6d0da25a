package record

import (
	"maps"
	"slices"
)

// What the engine says of a run beside its results, as the run goes on: what the run is, where
// it ran, the state of its metrics source, its halt, its durability checks and its load targets.
// Each is an operation of the recorder, so that the record's invariants live here (a halt is
// Halted and its event together; a scrape count is kept with its last error).

// Describe says what the run is: the command that replays it, what the harness is built of, and
// the scenario's own breaker mappings (CoreBreakers always reads too).
func (r *Recorder) Describe(command string, versions map[string]string, breakers []BreakerMapping) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rec.Command, r.rec.Env.Versions, r.rec.Breakers = command, maps.Clone(versions), slices.Clone(breakers)
}

// SetEnvironment records the backend the environment runs on and its services.
func (r *Recorder) SetEnvironment(backend string, services []ServiceInfo) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rec.Env.Backend, r.rec.Env.Services = backend, slices.Clone(services)
}

// SetSUT records the system under test's base URL and, when it runs more than one replica,
// every replica's.
func (r *Recorder) SetSUT(base string, replicas []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rec.Env.SUT = base
	r.rec.Env.Replicas = nil
	if len(replicas) > 1 {
		r.rec.Env.Replicas = slices.Clone(replicas)
	}
}

// Halt records that a halt condition stopped the faults, and why: the record's Halted and an
// event of kind EventHalt, together.
func (r *Recorder) Halt(why string) {
	now := r.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rec.Halted = why
	r.rec.Events = append(r.rec.Events, Event{At: now, Kind: EventHalt, Subject: "faults", Value: "stopped", Detail: why})
}

// Acks returns the writes the named durability check's rule recognised so far: their ids (at
// most MaxAcks) and how many there were in all.
func (r *Recorder) Acks(check string) (ids []string, total int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	a := r.rec.Acks[check]
	if a == nil {
		return nil, 0
	}
	return slices.Clone(a.IDs), a.Total
}

// SetDurability records the outcome of the named durability check.
func (r *Recorder) SetDurability(check string, d Durability) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.rec.Durability == nil {
		r.rec.Durability = map[string]*Durability{}
	}
	r.rec.Durability[check] = &d
}

// StartScrapes says where the SUT's metrics come from (Source, URL, Query, Instances of st):
// from now on each CountScrape counts in it.
func (r *Recorder) StartScrapes(st ScrapeStats) {
	r.mu.Lock()
	defer r.mu.Unlock()
	st.Instances = slices.Clone(st.Instances)
	st.Attempts, st.Failed, st.Failing, st.LastError = 0, 0, false, ""
	r.rec.Scrape = &st
}

// CountScrapes counts one tick's scrapes (one request of each replica's endpoint, or one request
// to a Prometheus server): each error a failure. The scrapes are failing while the last tick had
// a failure, whose error is kept.
func (r *Recorder) CountScrapes(errs ...error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.rec.Scrape == nil {
		return
	}
	sc := r.rec.Scrape
	sc.Failing = false
	for _, err := range errs {
		sc.Attempts++
		if err != nil {
			sc.Failed++
			sc.Failing = true
			sc.LastError = err.Error()
		}
	}
}

// SetScrapeInstances names the replicas the series came from, once a source knows them.
func (r *Recorder) SetScrapeInstances(instances []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.rec.Scrape != nil {
		r.rec.Scrape.Instances = slices.Clone(instances)
	}
}

// ScrapeError returns the last scrape's error while the scrapes are failing, else "".
func (r *Recorder) ScrapeError() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if sc := r.rec.Scrape; sc != nil && sc.Failing {
		return sc.LastError
	}
	return ""
}

// DeclareTarget names a load target before it sends anything, with the captured values its
// requests wait for: a target that never sends is in the record, and says why.
func (r *Recorder) DeclareTarget(name string, needs []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	ts := r.targets[name]
	if ts == nil {
		ts = &TargetStats{Counts: map[string]Counts{}, Latency: map[string]*Histogram{}}
		r.targets[name] = ts
	}
	ts.Needs = slices.Clone(needs)
}

// Unsent returns the declared targets that have sent no request so far, each with why (see
// TargetStats.WhyUnsent), for progress lines.
func (r *Recorder) Unsent() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for name, ts := range r.targets {
		if !ts.Sent() {
			out = append(out, name+": "+ts.WhyUnsent())
		}
	}
	slices.Sort(out)
	return out
}
