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
// Every call carries the generation of the state in which it was admitted; a result that comes back
// after the breaker changed state is ignored. Observers are told of transitions in order and outside
// every lock, so an observer may call back into the breaker.
package circuitbreaker
