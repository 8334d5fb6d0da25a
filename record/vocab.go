package record

// The vocabulary every reader of a record shares: the phase names, and the series the engine
// writes or scrapes that verdicts and reports read. Each is spelled here once.

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
// Its values are BreakerClosed, BreakerOpen and BreakerHalfOpen.
const BreakerSeries = "resilience_circuit_breaker_state"

// The values of BreakerSeries. Forced-open reads as open and disabled as closed.
const (
	BreakerClosed   = 0.0
	BreakerOpen     = 1.0
	BreakerHalfOpen = 2.0
)

// BreakerState names a value of BreakerSeries: "closed", "open" or "half-open"; another value
// reads as "unknown".
func BreakerState(v float64) string {
	switch v {
	case BreakerClosed:
		return "closed"
	case BreakerOpen:
		return "open"
	case BreakerHalfOpen:
		return "half-open"
	}
	return "unknown"
}

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
// otherwise, at each tick.
const ReadySeries = "shakedown_sut_ready"

// Event kinds the engine writes that readers look for.
const (
	EventBreaker   = "breaker"   // a scraped breaker changed state; Value is BreakerState's name
	EventReadiness = "readiness" // the readiness answer changed; Value is the status or the error
	EventScrape    = "scrape"    // a scrape failed
	EventHalt      = "halt"      // a halt condition stopped the faults
)
