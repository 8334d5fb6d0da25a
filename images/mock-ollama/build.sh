#!/usr/bin/env bash
# Builds shakedown/mock-ollama:dev FROM scratch. Idempotent: the image carries a label with the
# hash of its inputs (the Go sources it is built from and this folder), and the build is skipped
# when an image with the same hash exists. Override the tag with SHAKEDOWN_OLLAMA_IMAGE.
set -euo pipefail
cd "$(dirname "$0")/../.."
tag=${SHAKEDOWN_OLLAMA_IMAGE:-shakedown/mock-ollama:dev}
inputs=$( (cat go.mod go.sum images/mock-ollama/Dockerfile images/mock-ollama/build.sh;
	find cmd/mock-ollama harness/ollama faults/httpfault units -name '*.go' ! -name '*_test.go' | sort | xargs cat) | sha256sum | cut -c1-16)
have=$(docker image inspect -f '{{ index .Config.Labels "dev.shakedown.inputs" }}' "$tag" 2>/dev/null || true)
if [[ $have == "$inputs" ]]; then
	echo "$tag is up to date ($inputs)"
	exit 0
fi
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o "$ctx/mock-ollama" ./cmd/mock-ollama
cp images/mock-ollama/Dockerfile "$ctx/"
docker build -q --label "dev.shakedown.inputs=$inputs" -t "$tag" "$ctx" >/dev/null
echo "built $tag ($inputs)"
