#!/usr/bin/env bash
# Builds the local redis image FROM shakedown/debian-base:bookworm. Idempotent by input hash (its
# files and the base's); the tag can be overridden with SHAKEDOWN_REDIS_IMAGE.
set -euo pipefail
cd "$(dirname "$0")/.."
source ./lib.sh
tag=${SHAKEDOWN_REDIS_IMAGE:-shakedown/redis:7-local}
base=$(docker image inspect -f '{{ .Id }}' shakedown/debian-base:bookworm)
hash=$( (echo "$base"; cat redis/* lib.sh) | sha256sum | cut -c1-16)
if up_to_date "$tag" "$hash"; then
	echo "$tag is up to date ($hash)"
	exit 0
fi
docker build -q --label "dev.shakedown.inputs=$hash" -t "$tag" redis >/dev/null
echo "built $tag ($hash)"
