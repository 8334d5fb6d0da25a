#!/usr/bin/env bash
# The fault proxy (cmd/shakedown-proxy), FROM scratch (see images/static-go.sh). Tag:
# shakedown/proxy:dev, or $SHAKEDOWN_PROXY_IMAGE. Dockerfile.release builds it from source for a
# team's own registry.
exec "$(dirname "$0")/../static-go.sh" shakedown-proxy shakedown/proxy:dev SHAKEDOWN_PROXY_IMAGE
