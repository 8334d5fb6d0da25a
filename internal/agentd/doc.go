// Package agentd is Shakedown's reference system under test: a small AI-agent API that uses the
// resilience core against Postgres, Redis and an Ollama server, the way a careful team would
// write it, so that the harness is proven on a real service.
//
//	POST /v1/agents/{id}/runs     {"prompt": "..."} -> 201 {"run_id", "answer", "degraded", "source"}
//	GET  /v1/runs/{id}            a run, from Postgres
//	GET  /v1/agents               the agents, from Postgres
//	GET  /status                  each dependency's state and since when it is degraded
//	GET  /health/live, /health/ready, /metrics
//	POST /admin/breakers/{name}/reset   (Authorization: Bearer <token>)
//
// A run reads the agent's settings (from Postgres, kept in memory for 30 s and served from there
// while Postgres is down), looks for the answer in a Redis cache, else asks
// Ollama's chat API through a bulkhead, a timeout, retries with jittered backoff and a circuit
// breaker, and writes the run to Postgres; it is acknowledged (201 with Location: /v1/runs/{id})
// only once the write committed. When the LLM fails or its breaker is open, the answer is a
// static one marked degraded (header X-Degraded: true and "degraded": true); when Redis fails, the
// cache is skipped; when Postgres cannot commit, the answer is a 503 and nothing is acknowledged.
// Database-only endpoints have their own bulkhead, so a slow LLM cannot take the server's
// workers from them.
//
// Config's No* switches (and UnsafeAck, ShallowReady) turn each piece of resilience off, so that
// a test can show that the verdict checking it fails without it.
package agentd
