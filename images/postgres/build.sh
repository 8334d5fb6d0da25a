#!/usr/bin/env bash
# Builds the local postgres image FROM shakedown/debian-base:bookworm. Idempotent by input hash (its
# files and the base's); the tag can be overridden with SHAKEDOWN_POSTGRES_IMAGE.
set -euo pipefail
cd "$(dirname "$0")/.."
source ./lib.sh
tag=${SHAKEDOWN_POSTGRES_IMAGE:-shakedown/postgres:15-local}
base=$(docker image inspect -f '{{ .Id }}' shakedown/debian-base:bookworm)
hash=$( (echo "$base"; cat postgres/* lib.sh) | sha256sum | cut -c1-16)
if up_to_date "$tag" "$hash"; then
	echo "$tag is up to date ($hash)"
	exit 0
fi
docker build -q --label "dev.shakedown.inputs=$hash" -t "$tag" postgres >/dev/null
echo "built $tag ($hash)"
