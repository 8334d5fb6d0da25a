// Package resilience composes the policies of its sub-packages into one pipeline around a call to
// a dependency. The sub-packages stand alone: circuitbreaker, retry, bulkhead, timeout, fallback,
// health, slo, ratelimit and hedge; resilience/prom exports their events as Prometheus metrics. The core imports the
// standard library only, so a service can use it without pulling in any test machinery.
//
// The pipeline's order, outermost first, is fallback, retry, breaker, rate limit, bulkhead,
// timeout:
//
//   - fallback outermost, so it answers for every failure below, including a rejection;
//   - retry outside the breaker, so every attempt asks the breaker and an open breaker's
//     rejection ends the retries (retry does not retry it by default);
//   - breaker outside the rate limit and the bulkhead, so a rejected call never takes a token or
//     a slot, and a refusal by either (a local overload) is not counted as the dependency's
//     failure;
//   - rate limit outside the bulkhead, so a call waiting for its token holds no slot, and every
//     retry spends a token of its own (the limit is on calls to the dependency, not on callers);
//   - timeout innermost, so each attempt has its own deadline and a timeout counts as a failure.
package resilience
