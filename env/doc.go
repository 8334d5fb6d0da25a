// Package env gives a chaos run its world: the dependencies of the system under test (Postgres,
// Redis, a mock Ollama), each behind its own embedded Toxiproxy proxy that faults act on, started
// on a backend (local child processes, docker containers, or services that already run), and
// cleaned up whatever happens: on Close, on a failure half-way through start-up, and, after the
// harness itself was killed, by the next start's sweep.
//
// Each backend's server is one small interface (pause, kill, restart), so process faults act
// on a local process group and a container alike; what the harness did not start (the mock in its
// own process, a staging service) says why it cannot be touched.
package env
