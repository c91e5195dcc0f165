# poaledger — build, test, run.
GO        ?= go
BUILD_DIR ?= build
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT    ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS   := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT)
# Ledger micro-benchmarks: shrink with e.g. `make bench-ledger BENCH_KEYS=100000 BENCHTIME=3x`.
BENCH_KEYS ?= 1000000
BENCHTIME  ?= 5x

.PHONY: all build build-linux test vet lint bench bench-ledger fuzz localnet clean

all: build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BUILD_DIR)/poaledger ./cmd/poaledger

## `go install ./cmd/poaledger`: puts poaledger in $(go env GOBIN), else $(go env GOPATH)/bin,
## so a bare `poaledger` runs when that directory is on PATH.
.PHONY: install
install:
	CGO_ENABLED=0 $(GO) install -trimpath -ldflags '$(LDFLAGS)' ./cmd/poaledger
	@echo "installed $$(d=$$($(GO) env GOBIN); [ -n "$$d" ] || d=$$($(GO) env GOPATH)/bin; echo $$d)/poaledger"

## Static linux/amd64 binary for the FROM scratch image.
build-linux:
	CGO_ENABLED=0 GOOS=linux GOARCH=amd64 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BUILD_DIR)/linux-amd64/poaledger ./cmd/poaledger

vet:
	$(GO) vet ./...

## vet plus the package arrows of ARCHITECTURE.md (internal/arch; also part of `make test`).
lint: vet
	$(GO) test -count=1 ./internal/arch/

# promtool and prometheus, built from tools/go.mod (see the tools target below).
PROMTOOL   := $(BUILD_DIR)/promtool
PROMETHEUS := $(BUILD_DIR)/prometheus

## The test suite CI runs (.ci/run): vet, promtool on deploy/, then every test with the
## race detector. The testnet package (real clusters, fault scenarios, the live-panel
## test against Prometheus) runs verbosely so its per-scenario reports land in the CI
## log. POALEDGER_PROMTOOL makes node's TestMetricsScrape run `promtool check metrics`
## on a running node's poaledger_* families; POALEDGER_PROMETHEUS is the server
## testnet's TestMonitoringPanels scrapes its cluster with.
test: vet promcheck $(PROMETHEUS)
	POALEDGER_PROMTOOL=$(abspath $(PROMTOOL)) \
	$(GO) test -race -count=1 -timeout 30m $$($(GO) list ./... | grep -v -e /testnet$$ -e /bench$$)
	POALEDGER_PROMETHEUS=$(abspath $(PROMETHEUS)) \
	$(GO) test -race -count=1 -timeout 40m -v ./testnet/
	$(GO) test -race -count=1 -timeout 20m -v ./bench/

## promtool and prometheus at the one version tools/go.mod pins (Prometheus 3.13.5),
## from the Go module proxy: no Docker, no root, no distribution package. Built once
## into build/ (the first build downloads ~1 GB of modules and takes minutes; see
## README, Monitoring) and rebuilt only when tools/go.mod changes. remove_all_sd
## leaves out the cloud service-discovery plugins. `go tool -modfile=tools/go.mod
## promtool ...` runs the same promtool without this cache.
PROM_BUILD  = $(GO) build -modfile=tools/go.mod -tags remove_all_sd -o $@
$(PROMTOOL): tools/go.mod tools/go.sum
	$(PROM_BUILD) github.com/prometheus/prometheus/cmd/promtool
$(PROMETHEUS): tools/go.mod tools/go.sum
	$(PROM_BUILD) github.com/prometheus/prometheus/cmd/prometheus
.PHONY: tools promcheck
tools: $(PROMTOOL) $(PROMETHEUS)

## promtool on deploy/: the Prometheus config (and the rule files it loads), the alert
## rules, and their unit tests (which also pin the dashboard's corrected panels).
promcheck: $(PROMTOOL)
	$(PROMTOOL) check config deploy/prometheus.yml
	$(PROMTOOL) check rules deploy/alerts.yml
	$(PROMTOOL) test rules deploy/alerts_test.yml

## The full benchmark sweep, `poaledger bench` (about 35 minutes on 2 cores; README,
## "Benchmarks"): poaledger and CometBFT's kvstore on a local 4-validator testnet, the
## query run, the in-process run on a 1M-event ledger. Results in BENCH_OUT;
## BENCH_FLAGS adds flags, e.g. `make bench BENCH_FLAGS=--quick`. The quick run is
## also `make test`'s smoke test (bench package, last and alone, verbose): it checks
## that every result was produced, never how fast.
BENCH_OUT   ?= $(BUILD_DIR)/bench
BENCH_FLAGS ?=
bench: build
	$(BUILD_DIR)/poaledger bench --out $(BENCH_OUT) $(BENCH_FLAGS)

## Ledger micro-benchmarks (Go benchmarks of ./ledger on 1M-key trees).
bench-ledger:
	POALEDGER_BENCH_KEYS=$(BENCH_KEYS) $(GO) test -run '^$$' -bench . -benchtime=$(BENCHTIME) -timeout 120m ./ledger/

## Crash soak, not in CI: TestCrashRecovery with SOAK_KILLS seeded SIGKILLs of a committing
## process (default 500; the regular test runs 50); every reopen must succeed. Progress is
## logged every tenth of the kills. Bounded by the number of kills, not by time.
SOAK_KILLS ?= 500
.PHONY: soak
soak:
	POALEDGER_SOAK_KILLS=$(SOAK_KILLS) $(GO) test -run '^TestCrashRecovery$$' -count=1 -timeout 180m -v ./ledger/

## Short fuzz runs of every decoder reachable from the network (counts, not times:
## golang/go#75804 makes -fuzztime=<duration> flaky on Go 1.26).
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeEnvelope$$' -fuzztime=200000x ./app/tx/
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeBody$$' -fuzztime=200000x ./app/tx/
	$(GO) test -run '^$$' -fuzz '^FuzzVerifyMatchesStdlib$$' -fuzztime=100000x ./app/tx/
	$(GO) test -run '^$$' -fuzz '^FuzzSplitDocument$$' -fuzztime=100000x ./epcis/
	$(GO) test -run '^$$' -fuzz '^FuzzCheckTx$$' -fuzztime=50000x ./app/
	$(GO) test -run '^$$' -fuzz '^FuzzQuery$$' -fuzztime=50000x ./app/
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeMarker$$' -fuzztime=50000x ./ledger/

clean:
	rm -rf $(BUILD_DIR)

## Local 4-validator testnet of processes on 127.0.0.1 (ports 26600..26632); Ctrl-C stops it.
## `make clean` (or rm -rf build/localnet) starts a fresh chain next time. Its chain id is
## its own (compose's is poaledger-compose), so a home of one is refused by the other by name.
## `testnet start` prints the endpoints and commands that run as printed from this directory.
LOCALNET_DIR      ?= $(BUILD_DIR)/localnet
LOCALNET_CHAIN_ID ?= poaledger-localnet
localnet: build
	@test -f $(LOCALNET_DIR)/testnet.json || { $(BUILD_DIR)/poaledger testnet init --validators 4 --chain-id $(LOCALNET_CHAIN_ID) --output $(LOCALNET_DIR) >/dev/null && echo "wrote a new testnet (chain $(LOCALNET_CHAIN_ID)) in $(LOCALNET_DIR)"; }
	$(BUILD_DIR)/poaledger testnet start $(LOCALNET_DIR)

## FROM scratch image of the static binary (no image is pulled). Only the files the
## Dockerfile copies are sent as build context.
DOCKER_IMAGE ?= poaledger:local
docker-image: build-linux
	mkdir -p $(BUILD_DIR)/docker-root/data
	tar -c Dockerfile $(BUILD_DIR)/linux-amd64/poaledger $(BUILD_DIR)/docker-root/data | docker build -f Dockerfile -t $(DOCKER_IMAGE) -

## 4 validators in docker-compose (RPC of node0 on 127.0.0.1:26657). Homes in
## build/compose, created once; as root they are chowned to the image's uid 10001,
## otherwise the containers run as your uid (POALEDGER_UID).
COMPOSE_DIR ?= $(BUILD_DIR)/compose
COMPOSE_CHAIN_ID ?= poaledger-compose
COMPOSE     ?= docker-compose
compose-up: docker-image build
	@test -f $(COMPOSE_DIR)/testnet.json || $(BUILD_DIR)/poaledger testnet init --validators 4 --docker --chain-id $(COMPOSE_CHAIN_ID) --output $(COMPOSE_DIR)
	@if [ "$$(id -u)" = 0 ]; then chown -R 10001:10001 $(COMPOSE_DIR); fi
	POALEDGER_IMAGE=$(DOCKER_IMAGE) POALEDGER_DATA=./$(COMPOSE_DIR) \
	POALEDGER_UID=$$( [ "$$(id -u)" = 0 ] && echo 10001:10001 || echo "$$(id -u):$$(id -g)" ) \
	$(COMPOSE) up -d node0 node1 node2 node3
	@echo "node0 RPC tcp://127.0.0.1:26657, metrics http://127.0.0.1:26660/metrics (monitoring: $(COMPOSE) --profile monitoring up -d); check it with:"
	@echo "  $(BUILD_DIR)/poaledger status --node tcp://127.0.0.1:26657"

compose-down:
	$(COMPOSE) --profile monitoring down -v

.PHONY: docker-image compose-up compose-down
