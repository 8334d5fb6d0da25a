// Package ratelimit limits how often calls are made: a token bucket of Rate tokens a second that
// banks up to Burst of them. Allow takes a token or refuses at once; Wait takes the next token
// and sleeps until it is due, or refuses at once when that is past the context's deadline. With
// a burst of 1 (the default) calls are spaced evenly, 1/Rate apart (smooth); a larger burst lets
// that many through back to back after a quiet spell (bursty).
//
// The bucket is the generic cell rate algorithm: one atomic word, the theoretical arrival time of
// the next call, moved forward by 1/Rate for each token taken, so Allow is one clock read and one
// atomic add (a refusal, while the limiter refuses, only reads), with no lock and no allocation. The clock is the monotonic clock (about
// 25 ns here), or, with Config.Coarse, a word a ticker goroutine updates (Close stops it): the
// fast path then costs a few nanoseconds, and tokens are granted at the ticker's resolution.
//
// Keyed holds a limiter per key (an API key, a client address) and forgets the keys whose bucket
// has refilled. Handler and KeyedHandler are HTTP middleware that answer 429 Too Many Requests
// with a Retry-After header.
package ratelimit
