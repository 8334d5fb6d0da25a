// Package record holds the run record: the timeline of one chaos run that the harness writes and
// that assertions and reports read. It is the one data model between them; nothing downstream reads
// harness internals.
//
// Everything is timed against one monotonic start, as a Duration since it, so charts, fault windows,
// breaker states and verdicts line up to the millisecond.
//
// Memory stays bounded on long runs. A Record keeps:
//   - one Second per second of the run: counts by outcome, degraded and retried responses, bytes,
//     and latency quantiles (p50, p90, p95, p99, max) of that second;
//   - one latency Histogram per phase (log-bucketed, about 1% relative error), so that quantile
//     verdicts over a whole phase are exact to the bucket;
//   - metric samples scraped from the system under test, one point per series per scrape;
//   - every fault event (applied, removed, failed) and, per fault, the count of decisions made and
//     injected with an FNV-1a digest of the whole decision sequence, plus the first MaxDecisions
//     decisions themselves; later ones are counted and digested but not stored one by one.
//
// Individual request results are not kept.
package record
