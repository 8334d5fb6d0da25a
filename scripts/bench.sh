#!/usr/bin/env bash
# make bench: the resilience core against sony/gobreaker v2, failsafe-go, eapache/go-resiliency and x/time/rate,
# in the same run, serial (-cpu 1) and parallel (-cpu 2), summarised by benchstat with the
# libraries as columns. Raw results land in out/bench.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
count=${BENCH_COUNT:-6}
mkdir -p out
benchstat="$(go env GOPATH)/bin/benchstat"
[[ -x $benchstat ]] || GOFLAGS= go install golang.org/x/perf/cmd/benchstat@latest
(cd bench && go test -run '^$' -bench . -benchmem -count "$count" -cpu 1,2 .) | tee out/bench.txt
echo
"$benchstat" -col /lib out/bench.txt
