#!/usr/bin/env bash
# Builds one image FROM shakedown/debian-base:bookworm out of images/NAME/, tagged TAG unless the
# variable VAR names another tag. Idempotent: skipped when an image with the same input hash (the
# base's id, the folder's files, this script) exists.
#   usage: from-base.sh NAME TAG VAR
set -euo pipefail
cd "$(dirname "$0")"
source ./lib.sh
name=$1 tag=${!3:-$2}
base=$(docker image inspect -f '{{ .Id }}' shakedown/debian-base:bookworm)
hash=$( (echo "$base"; cat "$name"/* lib.sh from-base.sh) | sha256sum | cut -c1-16)
if up_to_date "$tag" "$hash"; then
	echo "$tag is up to date ($hash)"
	exit 0
fi
docker build -q --label "dev.shakedown.inputs=$hash" -t "$tag" "$name" >/dev/null
echo "built $tag ($hash)"
