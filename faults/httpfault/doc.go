// Package httpfault injects request-level faults into HTTP traffic: error statuses (500, 503, 429
// with Retry-After), latency before the headers, a delayed first chunk (time to first token), a
// stall in the middle of a stream, a connection dropped after N chunks, and a malformed JSON chunk.
// Toxiproxy cannot do this: it sees bytes and decides per connection; these faults see requests
// and decide per request.
//
// An Injector is net/http middleware (Middleware) or, in front of any HTTP service, a reverse proxy
// (NewReverseProxy). Faults can be set, changed and cleared while the server runs, from Go (Set,
// SetAll, Remove, Clear, Snapshot) or over a small JSON admin endpoint (AdminHandler). Every
// decision is counted in Prometheus metrics (Collector, registered by the caller) and can be handed
// to the run record (Config.OnDecision). A fault targets requests by method and path prefix.
//
// Determinism: faults are decided by faults/inject, each from its own stream seeded from the
// injector's seed and the fault's name, its draws numbered (Decision.Seq): the k-th request a
// fault matches gets the k-th draw, so the same seed gives the same sequence of decisions per
// fault, and adding or removing another fault changes nothing in it (faults/inject says what
// concurrent requests change).
package httpfault
