#!/usr/bin/env bash
# Builds an image FROM scratch holding one static Go binary (CGO_ENABLED=0) of this module, no
# registry needed: static-go.sh NAME DEFAULT_TAG TAG_VARIABLE builds ./cmd/NAME with
# images/NAME/Dockerfile, tagged $TAG_VARIABLE or DEFAULT_TAG.
#
# Idempotent and fast when nothing changed: the image carries a label with the hash of its inputs
# (the Go version, go.mod, go.sum, the non-test Go files of every package of this module that the
# binary imports, as `go list -deps` finds them, this script, the image's build.sh and its
# Dockerfile), and the build is skipped when an image with the same hash exists (about 0.3 s).
set -euo pipefail
cd "$(dirname "$0")/.."
name=$1 default=$2 var=$3
tag=${!var:-$default}
files=$(go list -deps -f '{{if not .Standard}}{{$d := .Dir}}{{range .GoFiles}}{{$d}}/{{.}}{{"\n"}}{{end}}{{range .EmbedFiles}}{{$d}}/{{.}}{{"\n"}}{{end}}{{end}}' "./cmd/$name" |
	grep "^$PWD/" | sort)
inputs=$( (go env GOVERSION; cat go.mod go.sum images/static-go.sh "images/$name/Dockerfile" "images/$name/build.sh"; for f in $files; do
	echo "${f#"$PWD"/}"
	cat "$f"
done) | sha256sum | cut -c1-16)
have=$(docker image inspect -f '{{ index .Config.Labels "dev.shakedown.inputs" }}' "$tag" 2>/dev/null || true)
if [[ $have == "$inputs" ]]; then
	echo "$tag is up to date ($inputs)"
	exit 0
fi
old=$(docker image inspect -f '{{ .Id }}' "$tag" 2>/dev/null || true)
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o "$ctx/$name" "./cmd/$name"
cp "images/$name/Dockerfile" "$ctx/"
# The legacy builder warns on stderr on every build; show its output only when the build fails.
if ! docker build -q --label "dev.shakedown.inputs=$inputs" -t "$tag" "$ctx" >"$ctx/build.log" 2>&1; then
	cat "$ctx/build.log" >&2
	exit 1
fi
# The image this one replaces would linger untagged: remove it unless a container still uses it.
new=$(docker image inspect -f '{{ .Id }}' "$tag")
if [[ -n $old && $old != "$new" ]]; then
	docker image rm "$old" >/dev/null 2>&1 || true
fi
echo "built $tag ($inputs, $(du -h "$ctx/$name" | cut -f1) binary)"
