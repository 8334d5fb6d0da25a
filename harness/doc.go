// Package harness gives a chaos run its world: the dependencies of the system under test
// (Postgres, Redis, a mock Ollama), each behind its own embedded Toxiproxy proxy that faults act
// on, started on a backend (local child processes or docker containers; external comes with the
// staging runs), and cleaned up whatever happens: on Close, on a failure half-way through
// start-up, and, after the harness itself was killed, by the next start's sweep.
package harness
