// Package harness is the engine of a chaos run: NewPlan resolves a scenario and its options once
// (seed, backend, phases, load, timeouts, halt conditions, the builtin system under test, the
// replay command), and Run starts the environment (package env) and the system under test, drives
// the load with Vegeta through the warmup, fault and recovery phases while the faults follow
// their seeded schedule, scrapes the SUT's metrics (each replica's), or reads them from a
// Prometheus server once the load has ended, and probes its readiness into the record, runs the
// checks that need the servers (durability, halt), and always removes every fault.
package harness
