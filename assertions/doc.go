// Package assertions turns a run record into verdicts: availability, latency quantiles, error rate,
// throughput against the requested rate, and checks on any scraped metric series, each evaluated
// over one phase (or the whole run). A verdict says what was expected, what was measured, over how
// many samples and when, and refuses to pass on too few samples.
//
// Each kind owns its spec type (plain fields that scenario files decode into, with Common inline);
// Lookup and Kinds are an explicit table for the scenario loader.
package assertions
