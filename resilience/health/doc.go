// Package health runs liveness and readiness checks and serves them over HTTP.
//
// Checks run concurrently, each bounded by its own timeout, so a report takes as long as the
// slowest check, not the sum. A failed critical check makes the report unhealthy; a failed
// non-critical one makes it degraded. /health/ready answers 503 when unhealthy and 200 otherwise
// (saying degraded in its body); /health/live answers 503 when a liveness check fails. Results can
// be cached for a short time so that a storm of probes does not become a storm on the
// dependencies.
package health
