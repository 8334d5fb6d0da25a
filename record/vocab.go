package record

// The vocabulary every reader of a record shares: the phase names, and the series the engine
// writes or scrapes that verdicts and reports read. Each is spelled here once.

import "slices"

// The phases of a run, in order, and the name of the whole run where a phase name is expected.
const (
	PhaseWarmup   = "warmup"
	PhaseFault    = "fault"
	PhaseRecovery = "recovery"
	PhaseAll      = "all"
)

// Phases lists the phase names a verdict may name: the three phases and PhaseAll.
var Phases = []string{PhaseWarmup, PhaseFault, PhaseRecovery, PhaseAll}

// BreakerSeries is the resilience core's breaker-state gauge (resilience/prom), by name label.
// Its values are those of BreakerState.
const BreakerSeries = "resilience_circuit_breaker_state"

// BreakerState is a circuit breaker's state as a record reads it. Its values are the resilience
// core's gauge values (BreakerSeries): forced-open reads as open and disabled as closed. Another
// library's series is read through a BreakerMapping.
type BreakerState int

// The states, in the order of their severity: a breaker across replicas is in the worst state of
// its replicas.
const (
	BreakerClosed   BreakerState = 0
	BreakerOpen     BreakerState = 1
	BreakerHalfOpen BreakerState = 2
)

// String names the state: "closed", "open" or "half-open", as events, progress lines and the
// report spell it.
func (s BreakerState) String() string {
	switch s {
	case BreakerClosed:
		return "closed"
	case BreakerOpen:
		return "open"
	}
	return "half-open"
}

// Value is the state's value in BreakerSeries.
func (s BreakerState) Value() float64 { return float64(s) }

// Severity orders the states from the best to the worst: closed 0, half-open 1, open 2.
func (s BreakerState) Severity() int {
	switch s {
	case BreakerClosed:
		return 0
	case BreakerOpen:
		return 2
	}
	return 1
}

// BreakerMapping says how to read a breaker state series: its name, the label that names the
// breaker, and the values that mean open and closed; any other value is half-open (gobreaker v2:
// closed 0, half-open 1, open 2; failsafe-go: closed 0, open 1, half-open 2).
type BreakerMapping struct {
	Series string    `json:"series"`
	Label  string    `json:"label"`
	Open   []float64 `json:"open"`
	Closed []float64 `json:"closed"`
}

// CoreBreakers reads the resilience core's BreakerSeries.
var CoreBreakers = BreakerMapping{Series: BreakerSeries, Label: "name", Open: []float64{BreakerOpen.Value()}, Closed: []float64{BreakerClosed.Value()}}

// State reads v as a state.
func (m BreakerMapping) State(v float64) BreakerState {
	switch {
	case slices.Contains(m.Open, v):
		return BreakerOpen
	case slices.Contains(m.Closed, v):
		return BreakerClosed
	}
	return BreakerHalfOpen
}

// BreakerCallsSeries is the resilience core's count of the calls its breakers saw, by name and
// outcome label (success, failure, ignored, rejected).
const BreakerCallsSeries = "resilience_circuit_breaker_calls_total"

// RetrySeries is the resilience core's retry counter (resilience/prom), by name and outcome label;
// RetryAttemptsSeries counts its retries (attempts after the first), by name.
const (
	RetrySeries         = "resilience_retry_calls_total"
	RetryAttemptsSeries = "resilience_retry_attempts_total"
)

// The outcome labels of RetrySeries that the retries verdict reads.
const (
	RetrySuccessFirst      = "success_first"       // succeeded at the first attempt
	RetrySuccessAfterRetry = "success_after_retry" // succeeded after one or more retries
	RetryExhausted         = "exhausted"           // every attempt failed
	RetryBudgetExhausted   = "budget_exhausted"    // the retry budget refused a retry
	RetryAborted           = "aborted"             // not retried: an error not worth a retry, a breaker's rejection
)

// ReadySeries is the harness's probe of the SUT's readiness path: 1 when it answered 200, 0
// otherwise, at each tick. With replicas it is 1 when every replica answered 200.
const ReadySeries = "shakedown_sut_ready"

// InstanceLabel names the replica a series of Record.ReplicaSeries comes from: its host:port
// for a replica the harness started (as Prometheus's instance label reads), or the replica label's
// value in a Prometheus server.
const InstanceLabel = "instance"

// The sources of a record's series (ScrapeStats.Source).
const (
	SourceScrape     = "scrape"     // the SUT's metrics endpoint, scraped by the harness on a tick
	SourcePrometheus = "prometheus" // a Prometheus server's range query over the run's window
	SourceNone       = "none"       // the scenario says the SUT exports no metrics: none were collected
)

// Event kinds the engine writes that readers look for.
const (
	EventBreaker   = "breaker"   // a scraped breaker changed state; Value is its BreakerState's String
	EventReadiness = "readiness" // the readiness answer changed; Value is the status or the error
	EventScrape    = "scrape"    // a scrape failed
	EventHalt      = "halt"      // a halt condition stopped the faults
)
