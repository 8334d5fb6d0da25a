#!/usr/bin/env bash
# Postgres 15 with the official image's contract (see images/from-base.sh).
exec "$(dirname "$0")/../from-base.sh" postgres shakedown/postgres:15-local SHAKEDOWN_POSTGRES_IMAGE
