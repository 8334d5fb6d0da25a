#!/usr/bin/env bash
# make images: builds the local container images the tests use, with no registry. Each image has
# its own images/<name>/build.sh, which is idempotent (it skips the build when the image exists and
# its inputs are unchanged). Run with a Docker engine; without one it says so and stops.
set -euo pipefail
cd "$(dirname "$0")/.."
# --if-docker (used by make test): without an engine, say so and succeed; the docker tests skip.
if ! docker info >/dev/null 2>&1; then
	if [[ ${1:-} == --if-docker ]]; then
		echo "make images: no Docker engine answers; skipping the images (the docker-backend tests will skip)" >&2
		exit 0
	fi
	echo "make images: no Docker engine answers (docker info failed); start one, or use the local backend" >&2
	exit 1
fi
shopt -s nullglob
builds=(images/*/build.sh)
if ((${#builds[@]} == 0)); then
	echo "make images: no images defined yet"
	exit 0
fi
for b in "${builds[@]}"; do
	echo "make images: $b"
	"$b"
done
