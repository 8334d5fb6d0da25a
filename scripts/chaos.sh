#!/usr/bin/env bash
# make chaos: the whole scenario catalog at full length (about 12 minutes), records and reports
# under out/chaos, then the 5-minute soak (the heap must stay flat). Exits non-zero when a verdict
# failed. Backend: docker when an engine answers (local images built first), else local;
# SHAKEDOWN_BACKEND overrides.
set -euo pipefail
cd "$(dirname "$0")/.."
export SHAKEDOWN_POSTGRES_IMAGE="${SHAKEDOWN_POSTGRES_IMAGE:-shakedown/postgres:15-local}"
export SHAKEDOWN_REDIS_IMAGE="${SHAKEDOWN_REDIS_IMAGE:-shakedown/redis:7-local}"
export SHAKEDOWN_OLLAMA_IMAGE="${SHAKEDOWN_OLLAMA_IMAGE:-shakedown/mock-ollama:dev}"
backend="${SHAKEDOWN_BACKEND:-local}"
if [[ -z "${SHAKEDOWN_BACKEND:-}" ]] && docker info >/dev/null 2>&1; then
	./scripts/images.sh
	backend=docker
fi
status=0
go run ./cmd/shakedown run scenarios/catalog/*.yaml --backend "$backend" --out out/chaos || status=$?
make soak || status=$?
exit "$status"
