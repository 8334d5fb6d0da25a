#!/usr/bin/env bash
# make nightly STAGING=file: the whole catalog at full length against staging, described by the
# file (see docs/nightly.md); each night's reports under out/nightly/<date>, the index over every
# night at out/nightly/index.html. Exits with the run's status (1: a verdict failed).
set -euo pipefail
cd "$(dirname "$0")/.."
staging="$1"
night="out/nightly/$(date -u +%Y-%m-%dT%H%MZ)"
status=0
go run ./cmd/shakedown run scenarios/catalog/*.yaml --staging "$staging" --out "$night" --timeout "${NIGHTLY_TIMEOUT:-30m}" --log-level info || status=$?
go run ./cmd/shakedown report --index out/nightly
exit "$status"
