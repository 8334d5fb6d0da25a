// Package circuitbreaker stops calls to a dependency that is failing, so that callers fail fast
// and the dependency gets room to recover.
//
// A Breaker is closed (calls pass), open (calls are rejected with ErrOpen), or half-open (a few
// probe calls pass; enough successes close it, a failure opens it again). It can also be forced
// open or disabled by an operator. It trips on any of: consecutive failures, a failure rate over a
// count-based or time-based sliding window, and a slow-call rate.
//
// The success path in the closed state reads two words and writes nothing unless a failure streak
// has to be reset, and it never reads the clock unless a time-based window, slow-call detection or
// an Observer asks for it. The open-to-half-open change is made by a timer, so State reports
// half-open as soon as the open duration has passed, with or without traffic, and a rejected call
// costs one atomic load.
//
// Where it differs from its peers on purpose: HalfOpenProbes limits the probes in flight, not the
// number of calls the half-open state admits in all (gobreaker's MaxRequests, resilience4j's
// permittedNumberOfCallsInHalfOpenState): a probe that reported frees its place for the next; and
// the first failed probe reopens the breaker, without waiting for the others (as gobreaker, and
// failsafe-go with a failure threshold of 1; resilience4j judges the probes' failure rate), as
// does the first slow probe when slow calls count. A rate is judged after every counted call, a
// success included (as resilience4j; Polly judges it only when a call fails). A rejection's error
// is made once per breaker: it wraps ErrOpen or ErrTooManyProbes, not the failure that opened the
// breaker (Polly's BrokenCircuitException wraps it). Neither starting in another state than closed
// nor a Reset of a closed breaker publishes anything (Polly publishes the opening of a circuit
// made isolated, resilience4j a reset event).
//
// A half-open breaker waits for traffic: it lets the next call through as a probe however long
// nobody called, and HalfOpenMaxWait reopens it only when a probe admitted that long ago has not
// reported back. A probe's permit reported twice (or through a copy) counts once. A move to the
// state the breaker is in (ForceOpen twice) publishes nothing and keeps the generation, as
// resilience4j does; a disabled breaker counts nothing, and tells its observer each call was
// ignored.
//
// Every call carries the generation of the state in which it was admitted; a result that comes back
// after the breaker changed state is ignored. Observers are told of transitions in order and outside
// every lock, so an observer may call back into the breaker.
//
// A caller's own deadline hides a hanging dependency. Execute ignores an error returned once the
// caller's context is done (the caller gave up: the dependency may be fine), so when every caller
// gives up before the dependency answers, the breaker sees no failure at all: 20 calls to a
// dependency that hangs leave it closed with 0 failures. Give the dependency a deadline of its own
// that is shorter than the callers' (resilience/timeout inside Execute: its timeout is the call's
// error, a failure), or, where callers' deadlines may be shorter still, report the result yourself
// with Allow and Permit.Done, counting a give-up as a failure once the call has run longer than
// the dependency's timeout should allow.
package circuitbreaker
