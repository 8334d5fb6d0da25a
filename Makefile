# Shakedown: the commands a developer and CI use. `make help` lists them.
SHELL := /usr/bin/env bash
GO ?= go
GOTESTFLAGS ?=
STATICCHECK_VERSION ?= v0.8.2
GOIMPORTS_VERSION ?= v0.53.0
MODULE := github.com/shakedown-dev/shakedown
PKGS := ./...

# The docker backend's images, as a user would set them: the local images `make images` builds
# (no registry here). Override on the command line or in the environment.
export SHAKEDOWN_POSTGRES_IMAGE ?= shakedown/postgres:15-local
export SHAKEDOWN_REDIS_IMAGE ?= shakedown/redis:7-local
export SHAKEDOWN_OLLAMA_IMAGE ?= shakedown/mock-ollama:dev
export SHAKEDOWN_PROXY_IMAGE ?= shakedown/proxy:dev

# The kubernetes backend's tests run a real API server (etcd and kube-apiserver, which make deps
# builds once into this cache) with Chaos Mesh's CRDs: envtest finds them here.
export KUBEBUILDER_ASSETS ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/shakedown/k8s-v1.34.2
export SHAKEDOWN_KUBE_ASSETS := $(KUBEBUILDER_ASSETS)

.PHONY: help deps test test-short lint bench soak images demo chaos nightly build clean tools flake

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

build: ## build every command into ./bin
	$(GO) build -o bin/ ./cmd/...

# One package at a time (-p 1): the harness's and the catalog's runs measure latency, and on two
# cores two packages of whole runs at once starve each other's services (p50 of a second). The
# catalog runs CATALOG_PARALLEL runs at a time: harnesstest's runs share a harness.Gate, so no
# run's start-up or teardown (initdb, containers, servers starting) lands on another's measured
# phases (at four runs without it, one failed postgres-outage's "healthy before"), and a run
# with a cpu fault measures alone. Two at a time took 549 s, five 294-308 s, four 323 s, and
# 288 s once the same-seed check used the short runs; at five a p95 verdict failed once (the
# CPU shared by five measured loads under -race). Since each run of a turn waits for the machine
# to settle before its load (harness.MachineSettled), four take 329-338 s; five took 305 s and
# failed redis-flaky's p95 on both backends at once.
CATALOG_PARALLEL ?= 4
CATALOG := ./scenarios/catalog
deps: ## the Debian packages the tests and images need, and the Kubernetes API server (built once, cached; quick when all are there)
	./scripts/install-deps.sh
	./scripts/kube-assets.sh >/dev/null

test: deps ## the whole test suite, with the race detector (builds the local images first when Docker answers)
	./scripts/images.sh --if-docker
	$(GO) test -race -count=1 -p 1 -timeout 15m $(GOTESTFLAGS) $$($(GO) list $(PKGS) | grep -vx '$(MODULE)/$(CATALOG:./%=%)')
	$(GO) test -race -count=1 -parallel $(CATALOG_PARALLEL) -timeout 10m $(GOTESTFLAGS) $(CATALOG)
	cd bench && $(GO) test -race -count=1 -run Interop -timeout 5m $(GOTESTFLAGS) .
	cd examples/shop && $(GO) test -race -count=1 -p 1 -timeout 10m $(GOTESTFLAGS) ./...

test-short: ## unit tests only: no servers, no containers
	$(GO) test -race -short -count=1 $(GOTESTFLAGS) $(PKGS)

lint: tools ## go vet, staticcheck, gofmt and the imports' order (goimports -local, then this module's own check)
	@out="$$(gofmt -l $$(git ls-files '*.go'))"; test -z "$$out" || { echo "gofmt -l: these files are not formatted:"; echo "$$out"; exit 1; }
	@out="$$("$$($(GO) env GOPATH)/bin/goimports" -local $(MODULE) -l $$(git ls-files '*.go' | grep -v '^tools/kube-apiserver/'))"; test -z "$$out" || { echo "goimports -local $(MODULE) -l: imports out of order in:"; echo "$$out"; exit 1; }
	$(GO) run ./tools/importorder -local $(MODULE) $$(git ls-files '*.go' | grep -v '^tools/kube-apiserver/')
	$(GO) vet $(PKGS)
	"$$($(GO) env GOPATH)/bin/staticcheck" $(PKGS)
	cd bench && $(GO) vet ./... && "$$($(GO) env GOPATH)/bin/staticcheck" ./...
	cd examples/shop && $(GO) vet ./... && "$$($(GO) env GOPATH)/bin/staticcheck" ./...

tools:
	@test -x "$$($(GO) env GOPATH)/bin/staticcheck" || $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	@test -x "$$($(GO) env GOPATH)/bin/goimports" || $(GO) install golang.org/x/tools/cmd/goimports@$(GOIMPORTS_VERSION)

bench: ## the resilience core against gobreaker, failsafe-go and go-resiliency (module ./bench), summarised by benchstat
	./scripts/bench.sh

soak: ## a whole run at 2,000 requests/s for 5 minutes (SHAKEDOWN_SOAK=10m for longer): the heap must stay flat
	$(GO) test -run '^$$' -bench RunSoak -benchtime 1x -timeout 60m ./harness/

N ?= 5
SCENARIOS ?= .*
flake: deps ## the catalog's short forms N times on each backend (N=5 by default; SCENARIOS='a|b' for some of them; with the race detector and CATALOG_PARALLEL runs at a time, as make test runs them): per scenario and verdict, how many runs passed and the measured spread; fails on any verdict that did not pass every time
	./scripts/images.sh --if-docker
	set -o pipefail; SHAKEDOWN_FLAKE=$(N) $(GO) test -race -count=1 -parallel $(CATALOG_PARALLEL) -timeout 0 -run '^TestCatalogFlake$$/^runs$$/^($(SCENARIOS))$$' -v $(CATALOG) | grep -v -e '^=== ' -e '--- PASS'

images: ## build the local images (no registry needed): Postgres, Redis, mock Ollama, the fault proxy
	./scripts/images.sh

demo: ## run one real scenario end to end and write its report
	./scripts/install-deps.sh
	./scripts/demo.sh

chaos: deps ## the whole scenario catalog at full length, with reports
	./scripts/chaos.sh

nightly: ## the catalog against staging (STAGING=file, see docs/nightly.md), reports under out/nightly/<date>, index at out/nightly/index.html
	@test -n "$(STAGING)" || { echo "make nightly: set STAGING to a staging description file (see docs/nightly.md and scenarios/testdata/staging.yaml)" >&2; exit 2; }
	./scripts/nightly.sh "$(STAGING)"

clean: ## remove build output and the runs' reports (out/)
	rm -rf bin out
