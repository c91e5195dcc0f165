# poaledger — build, test, run.
GO        ?= go
BUILD_DIR ?= build
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT    ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS   := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT)
# Benchmarks: shrink with e.g. `make bench BENCH_KEYS=100000 BENCHTIME=3x`.
BENCH_KEYS ?= 1000000
BENCHTIME  ?= 5x

.PHONY: all build build-linux test vet lint bench fuzz localnet clean

all: build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BUILD_DIR)/poaledger ./cmd/poaledger

## Static linux/amd64 binary for the FROM scratch image.
build-linux:
	CGO_ENABLED=0 GOOS=linux GOARCH=amd64 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BUILD_DIR)/linux-amd64/poaledger ./cmd/poaledger

vet:
	$(GO) vet ./...

## vet plus the package arrows of ARCHITECTURE.md (internal/arch; also part of `make test`).
lint: vet
	$(GO) test -count=1 ./internal/arch/

## The test suite CI runs (.ci/run): vet, then every test with the race detector.
## The testnet package (real clusters, fault scenarios) runs verbosely so its
## per-scenario reports land in the CI log.
test: vet
	$(GO) test -race -count=1 -timeout 30m $$($(GO) list ./... | grep -v /testnet$$)
	$(GO) test -race -count=1 -timeout 30m -v ./testnet/

bench:
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
	$(GO) test -run '^$$' -fuzz '^FuzzSplitDocument$$' -fuzztime=100000x ./epcis/
	$(GO) test -run '^$$' -fuzz '^FuzzCheckTx$$' -fuzztime=50000x ./app/
	$(GO) test -run '^$$' -fuzz '^FuzzQuery$$' -fuzztime=50000x ./app/
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeMarker$$' -fuzztime=50000x ./ledger/

clean:
	rm -rf $(BUILD_DIR)

## Local 4-validator testnet of processes on 127.0.0.1 (ports 26600..26632); Ctrl-C stops it.
## `make clean` (or rm -rf build/localnet) starts a fresh chain next time.
LOCALNET_DIR ?= $(BUILD_DIR)/localnet
localnet: build
	@test -f $(LOCALNET_DIR)/testnet.json || $(BUILD_DIR)/poaledger testnet init --validators 4 --output $(LOCALNET_DIR)
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
COMPOSE     ?= docker-compose
compose-up: docker-image build
	@test -f $(COMPOSE_DIR)/testnet.json || $(BUILD_DIR)/poaledger testnet init --validators 4 --docker --output $(COMPOSE_DIR)
	@if [ "$$(id -u)" = 0 ]; then chown -R 10001:10001 $(COMPOSE_DIR); fi
	POALEDGER_IMAGE=$(DOCKER_IMAGE) POALEDGER_DATA=./$(COMPOSE_DIR) \
	POALEDGER_UID=$$( [ "$$(id -u)" = 0 ] && echo 10001:10001 || echo "$$(id -u):$$(id -g)" ) \
	$(COMPOSE) up -d node0 node1 node2 node3
	@echo "node0 RPC: tcp://127.0.0.1:26657  metrics: http://127.0.0.1:26660/metrics  (monitoring: $(COMPOSE) --profile monitoring up -d)"

compose-down:
	$(COMPOSE) --profile monitoring down -v

.PHONY: docker-image compose-up compose-down
