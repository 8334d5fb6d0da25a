#!/usr/bin/env bash
# Redis 7 as the official image runs it (see images/from-base.sh).
exec "$(dirname "$0")/../from-base.sh" redis shakedown/redis:7-local SHAKEDOWN_REDIS_IMAGE
