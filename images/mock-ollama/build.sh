#!/usr/bin/env bash
# The mock Ollama, FROM scratch (see images/static-go.sh). Tag: shakedown/mock-ollama:dev, or
# $SHAKEDOWN_OLLAMA_IMAGE.
exec "$(dirname "$0")/../static-go.sh" mock-ollama shakedown/mock-ollama:dev SHAKEDOWN_OLLAMA_IMAGE
