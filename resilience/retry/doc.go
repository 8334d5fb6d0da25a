// Package retry retries a failing call with backoff and jitter, within limits that keep retries
// from becoming a storm: a number of attempts, a total time, and an optional Budget shared by many
// callers that allows retries only as a share of requests.
//
// The backoff strategies are the ones of the AWS Architecture Blog ("Exponential Backoff And
// Jitter"): constant, exponential with a cap, full jitter, equal jitter and decorrelated jitter.
// Every delay lies within [0, MaxDelay] for any attempt number. An error that carries a
// Retry-After hint (a RetryAfter() time.Duration method) waits at least that long; a hint longer
// than MaxDelay ends the retries instead. A circuit breaker's rejection (an error with a
// BreakerOpen() bool method that returns true, as resilience/circuitbreaker's does) is not retried
// by default: the breaker is open precisely so that nobody calls.
//
// A call whose first attempt succeeds costs one function call and, with a Budget, one atomic add;
// the clock is read only when MaxElapsed is set or a retry is needed. Sleeps end as soon as the
// context ends. The first attempt is made whatever the state of the context, which fn is handed
// and honours as any Go function does (Polly does not run a callback whose token is already
// cancelled); no retry is made once it is done.
package retry
