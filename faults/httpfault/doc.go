// Package httpfault injects request-level faults into HTTP traffic: error statuses (500, 503, 429
// with Retry-After), latency before the headers, a delayed first chunk (time to first token), a
// stall in the middle of a stream, a connection dropped after N chunks, and a malformed JSON chunk.
// Toxiproxy cannot do this: it sees bytes and decides per connection; these faults see requests
// and decide per request.
//
// An Injector is net/http middleware (Middleware) or, in front of any HTTP service, a reverse proxy
// (NewReverseProxy). Faults can be set, changed and cleared while the server runs, from Go or over
// a small JSON admin endpoint (AdminHandler). Every decision is counted in Prometheus metrics
// (Collector) and can be handed to the run record (Config.OnDecision).
//
// Determinism: each fault draws from its own stream, seeded from the injector's seed and the
// fault's name, and numbers its draws. The k-th request a fault matches gets the k-th draw of that
// stream, so the same seed gives the same sequence of decisions per fault; which request is the
// k-th depends on arrival order when requests are concurrent.
package httpfault
