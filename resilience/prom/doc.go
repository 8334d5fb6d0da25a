// Package prom exports the resilience core's events as Prometheus metrics (client_golang). The
// metric names and labels are a contract: the harness reads breaker states and retries from them.
//
//	resilience_circuit_breaker_state{name}                      gauge: 0 closed, 1 open (and forced-open), 2 half-open; disabled is 0
//	resilience_circuit_breaker_calls_total{name,outcome}        counter: success, failure, ignored, rejected
//	resilience_circuit_breaker_transitions_total{name,from,to}  counter: closed, open, half-open, forced-open, disabled
//	resilience_retry_calls_total{name,outcome}                  counter: success_first, success_after_retry, exhausted, aborted, budget_exhausted, cancelled
//	resilience_retry_attempts_total{name}                       counter: retries (attempts after the first)
//	resilience_bulkhead_in_flight{name}                         gauge
//	resilience_bulkhead_queued{name}                            gauge
//	resilience_bulkhead_rejected_total{name,reason}             counter: full, queue_timeout, cancelled
//	resilience_timeouts_total{name}                             counter
//	resilience_fallbacks_total{name}                            counter: degraded answers served
//	resilience_call_duration_seconds{name,outcome}              histogram: breaker-guarded calls
//
// Nothing registers globally: New registers on the Registerer it is given.
package prom
