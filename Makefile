# poaledger — build, test, run.
GO        ?= go
BUILD_DIR ?= build
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT    ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS   := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT)
# Benchmarks: shrink with e.g. `make bench BENCH_KEYS=100000 BENCHTIME=3x`.
BENCH_KEYS ?= 1000000
BENCHTIME  ?= 5x

.PHONY: all build build-linux test vet bench fuzz localnet clean

all: build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BUILD_DIR)/poaledger ./cmd/poaledger

## Static linux/amd64 binary for the FROM scratch image.
build-linux:
	CGO_ENABLED=0 GOOS=linux GOARCH=amd64 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BUILD_DIR)/linux-amd64/poaledger ./cmd/poaledger

vet:
	$(GO) vet ./...

## The test suite CI runs (.ci/run): vet, then every test with the race detector.
test: vet
	$(GO) test -race -count=1 -timeout 30m ./...

bench:
	POALEDGER_BENCH_KEYS=$(BENCH_KEYS) $(GO) test -run '^$$' -bench . -benchtime=$(BENCHTIME) -timeout 120m ./ledger/

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
