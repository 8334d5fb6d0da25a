// Package wirefault injects faults into single requests inside open Postgres and Redis
// connections: a delay, a server error of a chosen class, or the connection cut, each decided per
// query or command from the fault's seeded stream, on pooled connections opened long before the
// fault. Toxiproxy's toxics act on whole connections and draw from an unseeded source; these act
// on requests and draw as the HTTP faults do (see faults/httpfault).
//
// The stage is a Toxiproxy toxic (Toxic), put on the client-to-server stream of a service's proxy
// before the first connection, so it reads every connection from its first byte. It splits the
// stream into the protocol's messages: Postgres's frontend messages (the startup phase, simple
// queries, and the extended protocol's Parse, Bind, Execute ... Sync groups, pgx's and lib/pq's),
// and Redis's RESP commands (RESP2 and RESP3 send the same arrays of bulk strings; pipelines
// included). A query is a simple Query message or an extended group holding an Execute (one
// decision for a batch of them up to its Sync); a command is one RESP array. Anything else, and
// anything it cannot frame (TLS, a bad length, an unknown message type, an inline command), passes
// through untouched; a message over 1 MiB passes without a decision.
//
// While no fault is set, a request is forwarded as it came. A fault acts on the request it chose:
//
//   - latency holds it (and what follows it on that connection) for Latency ± Jitter;
//   - error has the real server answer with the error: the request is replaced by one that makes
//     the server raise it, so the driver sees a real server error and the session is in the state
//     the real error leaves it in. Postgres: a DO block raising the SQLSTATE (an open transaction
//     is aborted, as by a real serialization failure), and 57P01 by the backend terminating
//     itself (FATAL, the connection closed, as on an administrator's shutdown). Redis: an EVAL
//     that returns the error reply (-ERR, -LOADING, -BUSY, -READONLY, -OOM); in a pipeline only
//     that command's reply is the error, and inside MULTI the error is in EXEC's answer;
//   - drop cuts the connection before the request reaches the server, as a crash would: the
//     driver sees the connection end, and a Postgres transaction in progress is rolled back.
//
// Determinism, as for the HTTP faults: faults are decided by faults/inject, each from its own
// stream (faults/seeded) with numbered draws. The k-th request a fault matches gets the k-th
// draw, taken under one lock in the order requests reach the proxy; which connection's request
// gets draw k depends on which arrived k-th.
package wirefault
