#!/usr/bin/env bash
# make demo: one real scenario end to end (the catalog's llm-down at full length against the
# reference service), its record and its report written under out/demo.
#
# It runs on the docker backend when a Docker engine answers (building the local images first,
# no registry needed), else on the local backend (Postgres and Redis servers on this machine:
# scripts/install-deps.sh installs them on Debian).
set -euo pipefail
cd "$(dirname "$0")/.."
export SHAKEDOWN_POSTGRES_IMAGE="${SHAKEDOWN_POSTGRES_IMAGE:-shakedown/postgres:15-local}"
export SHAKEDOWN_REDIS_IMAGE="${SHAKEDOWN_REDIS_IMAGE:-shakedown/redis:7-local}"
export SHAKEDOWN_OLLAMA_IMAGE="${SHAKEDOWN_OLLAMA_IMAGE:-shakedown/mock-ollama:dev}"
backend=local
if docker info >/dev/null 2>&1; then
	./scripts/images.sh
	backend=docker
elif ! command -v redis-server >/dev/null || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
	echo "make demo: neither a Docker engine nor the local servers are here; run scripts/install-deps.sh (Debian) or start Docker" >&2
	exit 3
fi
scenario="${DEMO_SCENARIO:-scenarios/catalog/llm-down.yaml}"
echo "make demo: $scenario on the $backend backend (about a minute and a half)" >&2
go run ./cmd/shakedown run "$scenario" --backend "$backend" --out out/demo
