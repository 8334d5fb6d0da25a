// Package hedge sends a second attempt at a slow call before the first has answered, and takes
// whichever succeeds first: the tail latency of a dependency with occasional slow answers (a
// replica in a GC pause, a cold cache) becomes that of its faster attempt. After Delay (fixed,
// or the recent latencies' Quantile) a further attempt starts, up to MaxAttempts in flight; the
// first success wins and the others are cancelled through their contexts. Do returns once every
// attempt has returned, so no goroutine outlives it: an attempt must end when its context does.
//
// Hedges are extra load on the dependency: share a retry.Budget so that they stay a bounded share
// of the requests (a hedge the budget refuses is not sent), and hedge only idempotent calls.
package hedge
