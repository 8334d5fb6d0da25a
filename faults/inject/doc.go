// Package inject is the decision core of request-level faults: the faults set on one request
// path, each drawing from its own seeded stream, decided request by request. faults/httpfault
// (HTTP requests) and faults/wirefault (Postgres queries, Redis commands) sit on it and keep only
// what is theirs: which requests a fault matches and what it does to them; a deployable fault
// proxy's toxics can sit on it the same way.
//
// A Fault is a name, a probability and an action (what the fault does, and to which requests),
// one flat object in JSON and YAML. A Decider holds faults in the order they were first set
// (setting a fault of the same name replaces it in its place) and decides each request: under one
// lock, in that order, every fault that matches the request takes the next draw of its stream, and
// injects when the draw is under its probability while fewer than its max were injected. The
// decisions go to the package's callback once the lock is left. With no fault set a request costs
// one atomic load.
//
// Determinism: a fault's stream is faults/seeded's, keyed by the seed and the fault's name, and
// its draws are numbered (Draw.Seq). The k-th request a fault matches gets the k-th draw of that
// stream, so the same seed and the same name give the same sequence of decisions wherever the
// fault is decided (the harness's process, a mock's container, a proxy), and adding or removing
// another fault changes nothing in it. With sequential requests a whole run repeats exactly; with
// concurrent ones the sequence of draws (Seq -> injected) is still the same, but which request
// gets draw k depends on which arrived k-th. A stream outlives its fault: a fault removed and set
// again goes on where its draws were.
//
// The package is apart from faults/seeded, which it builds on: seeded is the one derivation of a
// fault's stream that every kind shares (the scheduler's per-window draws too), while this is
// what only request-level faults share.
package inject
