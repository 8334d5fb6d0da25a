package record

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// SchemaVersion is the version of a record's JSON form; a journal holding another is refused.
// Version 2 counts failed requests (no answer, or a status the target does not expect), where
// version 1 counted every 4xx as available; version 3 keeps the acknowledged writes and the
// durability check of each durability assertion apart (Acks, Durability by its name), where
// version 2 kept one of each.
const SchemaVersion = 3

// Status says how a run ended.
type Status string

// The ways a run ends.
const (
	StatusCompleted Status = "completed" // every phase ran to its end
	StatusAborted   Status = "aborted"   // interrupted (Ctrl-C, a halt condition, a deadline); the record holds what ran
	StatusFailed    Status = "failed"    // the harness itself failed (environment, SUT); see Error
)

// Record is the timeline of one run.
type Record struct {
	Version  int          `json:"version"`
	Scenario ScenarioInfo `json:"scenario"`
	Seed     uint64       `json:"seed"`
	// Command replays this run: the same scenario with the same seed.
	Command  string    `json:"command,omitempty"`
	Started  time.Time `json:"started"`
	Duration Duration  `json:"duration"`
	Status   Status    `json:"status"`
	Error    string    `json:"error,omitempty"` // why the run was aborted or failed
	Env      EnvInfo   `json:"env"`

	Phases  []Phase               `json:"phases"`
	Seconds []Second              `json:"seconds"`
	Latency map[string]*Histogram `json:"latency"` // per phase name, and "all"

	// Series are the SUT's series as the verdicts read them: with replicas, across them (a
	// breaker state the worst replica's, every other series the sum of the replicas').
	Series []Series `json:"series,omitempty"`
	// ReplicaSeries are each replica's own series, an InstanceLabel label naming it, when the
	// metrics came from more than one replica.
	ReplicaSeries []Series `json:"replica_series,omitempty"`

	Faults    []FaultEvent      `json:"faults,omitempty"`
	Decisions []DecisionSummary `json:"decisions,omitempty"`
	// DecisionLog holds the first MaxDecisions decisions one by one.
	DecisionLog []Decision `json:"decision_log,omitempty"`
	Events      []Event    `json:"events,omitempty"`

	// Targets holds each named load target's counts and latency per phase (and "all").
	Targets map[string]*TargetStats `json:"targets,omitempty"`
	// Acks are the writes the SUT acknowledged, by the durability assertion whose rule recognised
	// them (its name): each assertion has its own rule and its own check.
	Acks map[string]*Acks `json:"acks,omitempty"`
	// Statuses counts the answers by HTTP status (0: no answer).
	Statuses map[int]int64 `json:"statuses,omitempty"`
	// Durability are the checks, after the load, that every acknowledged write is in the
	// database, by durability assertion name.
	Durability map[string]*Durability `json:"durability,omitempty"`
	// Halted says why a halt condition stopped the faults, if one did.
	Halted string `json:"halted,omitempty"`
	// Scrape says how the scrapes of the SUT's metrics went.
	Scrape *ScrapeStats `json:"scrape,omitempty"`
	// Breakers say how the scraped breaker series read, beside the core's (CoreBreakers): the
	// mappings of the scenario's breaker verdicts for another library's breakers.
	Breakers []BreakerMapping `json:"breakers,omitempty"`
}

// Instances returns the replicas that Series aggregates, by InstanceLabel, sorted: none when the
// metrics came from one.
func (r *Record) Instances() []string {
	var out []string
	for _, s := range r.ReplicaSeries {
		if in := s.Labels[InstanceLabel]; !slices.Contains(out, in) {
			out = append(out, in)
		}
	}
	slices.Sort(out)
	return out
}

// BreakerMappings returns CoreBreakers and the record's own mappings, each series once.
func (r *Record) BreakerMappings() []BreakerMapping { return WithCoreBreakers(r.Breakers) }

// WithCoreBreakers returns CoreBreakers and own, each series once.
func WithCoreBreakers(own []BreakerMapping) []BreakerMapping {
	out := []BreakerMapping{CoreBreakers}
	for _, m := range own {
		if !slices.ContainsFunc(out, func(o BreakerMapping) bool { return o.Series == m.Series && o.Label == m.Label }) {
			out = append(out, m)
		}
	}
	return out
}

// ScrapeStats counts the scrapes of the SUT's metrics endpoint (each replica's), or the queries
// of the Prometheus server that scraped it, and keeps the last failure.
type ScrapeStats struct {
	// Source is SourceScrape, SourcePrometheus or SourceNone. Empty: scrape (records before
	// sources).
	Source string `json:"source,omitempty"`
	// URL is the endpoint scraped (the first replica's), or the Prometheus server's.
	URL string `json:"url"`
	// Query is the Prometheus source's range query.
	Query string `json:"query,omitempty"`
	// Instances are the replicas the series came from, by their InstanceLabel.
	Instances []string `json:"instances,omitempty"`
	// Attempts counts the scrapes (one per replica and tick), or the requests to Prometheus's
	// API; Failed those that failed.
	Attempts  int64  `json:"attempts"`
	Failed    int64  `json:"failed"`
	Failing   bool   `json:"failing,omitempty"`    // the last scrape failed
	LastError string `json:"last_error,omitempty"` // the last failure's error
}

// MaxAcks is how many acknowledged writes a record keeps for each durability check.
const MaxAcks = 1_000_000

// Acks are the writes one durability assertion's rule recognised as acknowledged.
type Acks struct {
	// IDs are the acknowledged writes' ids, the first MaxAcks of them; Total counts them all.
	IDs   []string `json:"ids,omitempty"`
	Total int64    `json:"total"`
	// WithoutID counts the answers that matched the rule's status but had no id where it said.
	WithoutID int64 `json:"without_id,omitempty"`
}

// TargetStats are one load target's results per phase name (and "all").
type TargetStats struct {
	Counts  map[string]Counts     `json:"counts"`
	Latency map[string]*Histogram `json:"latency"`
	// Seconds are the counts of each second of the run, as Record.Seconds (index i: the second
	// that starts i seconds in).
	Seconds []Counts `json:"seconds,omitempty"`
	// Needs are the captured values its requests wait for ({{token}}): a target none of whose
	// values was ever captured sends nothing.
	Needs []string `json:"needs,omitempty"`
}

// Sent reports whether the target sent any request.
func (t *TargetStats) Sent() bool {
	for _, c := range t.Counts {
		if c.Requests > 0 {
			return true
		}
	}
	return false
}

// WhyUnsent says why a target sent no request: the values it waited for that no answer captured,
// or that the load never reached it.
func (t *TargetStats) WhyUnsent() string {
	if len(t.Needs) == 0 {
		return "the load never reached it"
	}
	names := make([]string, len(t.Needs))
	for i, n := range t.Needs {
		names[i] = "{{" + n + "}}"
	}
	return fmt.Sprintf("it waited for %s, which no answer captured", strings.Join(names, ", "))
}

// Unsent returns the named targets that sent no request, sorted.
func (r *Record) Unsent() []string {
	var out []string
	for name, ts := range r.Targets {
		if !ts.Sent() {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// Durability is the outcome of looking for every acknowledged write in the database over a direct
// connection once the load ended.
type Durability struct {
	Query        string   `json:"query"`
	Rule         string   `json:"rule,omitempty"` // how an acknowledgement was recognised
	Acknowledged int64    `json:"acknowledged"`
	Checked      int64    `json:"checked"` // at most MaxAcks
	Missing      int64    `json:"missing"`
	MissingIDs   []string `json:"missing_ids,omitempty"` // the first 20
	Error        string   `json:"error,omitempty"`       // the check could not run
}

// ScenarioInfo names the scenario that was run and keeps its source text.
type ScenarioInfo struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	File        string `json:"file,omitempty"`
	Source      string `json:"source,omitempty"` // the scenario file as it was read
}

// EnvInfo describes the environment a run used.
type EnvInfo struct {
	Backend  string            `json:"backend"`
	Services []ServiceInfo     `json:"services,omitempty"`
	SUT      string            `json:"sut,omitempty"`      // the system under test's base URL
	Replicas []string          `json:"replicas,omitempty"` // with sut.replicas, every replica's base URL (SUT is the first's)
	SUTLog   string            `json:"sut_log,omitempty"`  // the SUT's output, beside the journal
	Versions map[string]string `json:"versions,omitempty"` // of the harness: go, shakedown, toxiproxy, testcontainers-go, vegeta
	Touched  []string          `json:"touched,omitempty"`  // every service a fault acted on
}

// ServiceInfo describes one dependency of the system under test.
type ServiceInfo struct {
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
	Proxied string `json:"proxied,omitempty"` // the address the SUT used
}

// Phase is one phase of a run: warmup, fault or recovery.
type Phase struct {
	Name  string   `json:"name"`
	Start Duration `json:"start"`
	End   Duration `json:"end"`
	// Rate is the request rate the load generator was asked for, in requests per second
	// (the mean over the phase for pacers that vary).
	Rate float64 `json:"rate"`
	// Counts are the results of the requests that started in the phase.
	Counts Counts `json:"counts"`
}

// Contains reports whether offset at falls in the phase: Start ≤ at < End.
func (p Phase) Contains(at Duration) bool { return at >= p.Start && at < p.End }

// Second is the aggregate of the requests that started in one second of the run.
type Second struct {
	At Duration `json:"at"` // start of the second
	Counts
	P50 Duration `json:"p50"`
	P90 Duration `json:"p90"`
	P95 Duration `json:"p95"`
	P99 Duration `json:"p99"`
	Max Duration `json:"max"`
}

// FaultAction is what happened to a fault.
type FaultAction string

// The fault actions.
const (
	FaultApplied FaultAction = "applied"
	FaultUpdated FaultAction = "updated"
	FaultRemoved FaultAction = "removed"
	FaultFailed  FaultAction = "failed" // applying or removing failed; see Error
)

// FaultEvent is one change to a fault.
type FaultEvent struct {
	At     Duration    `json:"at"`
	Fault  string      `json:"fault"` // the fault's name in the scenario
	Kind   string      `json:"kind"`
	Target string      `json:"target"`
	Action FaultAction `json:"action"`
	Detail string      `json:"detail,omitempty"`
	Error  string      `json:"error,omitempty"`
	// Counted is set on the removal of a request fault whose decisions were counted where it
	// ran (a mock in a container decides there, not in the record one by one): Decided and
	// Injected are its counts over the run up to then.
	Counted  bool   `json:"counted,omitempty"`
	Decided  uint64 `json:"decided,omitempty"`
	Injected uint64 `json:"injected,omitempty"`
}

// Event is anything else worth a place on the timeline: a breaker transition seen in the metrics,
// a readiness probe, a halt condition, a log line of the harness.
type Event struct {
	At      Duration `json:"at"`
	Kind    string   `json:"kind"`    // e.g. "readiness", "breaker", "halt"
	Subject string   `json:"subject"` // e.g. the breaker's name
	Value   string   `json:"value"`   // e.g. "open", "503"
	Detail  string   `json:"detail,omitempty"`
}

// Series is one scraped metric series.
type Series struct {
	Name   string            `json:"name"`
	Labels map[string]string `json:"labels,omitempty"`
	Points []Point           `json:"points"`
}

// Key returns the series' identity as name{k="v",...} with labels sorted.
func (s Series) Key() string { return SeriesKey(s.Name, s.Labels) }

// SeriesKey returns name{k="v",...} with the labels sorted by key.
func SeriesKey(name string, labels map[string]string) string {
	if len(labels) == 0 {
		return name
	}
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	b.WriteString(name)
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%s=%q", k, labels[k])
	}
	b.WriteByte('}')
	return b.String()
}

// Point is one sample of a series.
type Point struct {
	At    Duration `json:"at"`
	Value float64  `json:"v"`
}
