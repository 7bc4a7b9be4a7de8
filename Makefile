# mongoconn — build, test and measure.
GO       ?= go
BIN      ?= bin/mongoconn
FUZZTIME ?= 30s
# Brief fuzzing (`make fuzz-short`), run by CI after `make test`.
FUZZTIME_SHORT ?= 3s

.PHONY: all build check-static release man test unit e2e lint fmt fuzz fuzz-short bench demo drivers drivers-install drivers-update clean

all: build

# What `mongoconn version` reports (internal/buildinfo), from git: the
# nearest tag (or the commit), the commit, and the commit's date in UTC,
# so that two builds of one commit are the same bytes. Override on the
# command line: make release VERSION=v1.2.0
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null)
COMMIT  ?= $(shell git rev-parse HEAD 2>/dev/null)
DATE    ?= $(shell TZ=UTC git log -1 --format=%cd --date=format-local:%Y-%m-%dT%H:%M:%SZ 2>/dev/null)
STAMP    = github.com/mongoconn/mongoconn/internal/buildinfo
LDFLAGS  = -s -w -X $(STAMP).version=$(VERSION) -X $(STAMP).commit=$(COMMIT) -X $(STAMP).date=$(DATE)
# Static (no cgo: Go's own DNS resolver and user lookup), reproducible
# (no local paths), stamped.
BUILD    = CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)'
# The platforms of `make release`: GOOS/GOARCH.
PLATFORMS = linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64

## build: bin/mongoconn, static and stamped.
build:
	$(BUILD) -o $(BIN) .

## check-static: fail unless bin/mongoconn needs no loader or library.
check-static: build
	$(GO) run ./internal/checkbin $(BIN)

## release: dist/mongoconn-OS-ARCH for every platform, SHA256SUMS, man pages.
release: man
	@rm -f dist/mongoconn-* dist/SHA256SUMS
	@for p in $(PLATFORMS); do \
		os=$${p%/*}; arch=$${p#*/}; ext=; [ "$$os" = windows ] && ext=.exe; \
		echo "build dist/mongoconn-$$os-$$arch$$ext"; \
		GOOS=$$os GOARCH=$$arch $(BUILD) -o dist/mongoconn-$$os-$$arch$$ext . || exit 1; \
	done
	$(GO) run ./internal/checkbin dist/mongoconn-*
	cd dist && { sha256sum mongoconn-* 2>/dev/null || shasum -a 256 mongoconn-*; } > SHA256SUMS
	@cat dist/SHA256SUMS

## man: manual pages, one per command, in dist/man (generated, not committed).
man:
	$(GO) run ./cmd/mangen -dir dist/man -version '$(VERSION)' $(if $(DATE),-date $(DATE))

## test: gofmt, then unit + integration + end-to-end tests with the race
## detector, every fuzz target's seed corpus among them. go test runs every
## vet check (-vet=all) on the race build, and go vet -race covers the
## packages without tests and the driver suite (behind its build tag), so
## the dependencies are compiled once for vet and test. Fuzzing itself
## (another instrumented build of every dependency) is make fuzz-short,
## which CI runs after this.
test: fmt
	$(if $(UNTESTED),$(GO) vet -race $(UNTESTED))
	$(GO) vet -race -tags drivers ./internal/drivertest/
	GORACE=atexit_sleep_ms=0 $(GO) test -race -vet=all -count=1 -timeout 12m ./...

unit:
	$(GO) test -count=1 ./...

## e2e: the testscript transcripts in testdata/script only.
e2e:
	$(GO) test -count=1 -run 'TestScripts' .

lint: fmt
	$(GO) vet ./...
	$(GO) vet -tags drivers ./internal/drivertest/

fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

# The packages without test files, which go test does not vet.
UNTESTED = $(shell $(GO) list -f '{{if not (or .TestGoFiles .XTestGoFiles)}}{{.ImportPath}}{{end}}' ./...)

## fuzz, fuzz-short: every fuzz target for FUZZTIME (FUZZTIME_SHORT) each;
## each package's instrumented test binary is built once for all its targets.
fuzz:
	GO=$(GO) ./scripts/fuzz.sh $(FUZZTIME)

fuzz-short:
	@GO=$(GO) ./scripts/fuzz.sh -q $(FUZZTIME_SHORT)

## bench: every budget of DESIGN.md §6 and §11, printed as a table
## (scripts/bench.sh; BENCH_QUICK=1 for a shorter run without peers).
bench:
	./scripts/bench.sh

## demo: loopback scenarios and a diagnose report of each; no MongoDB needed.
demo:
	$(GO) run ./internal/demo $(ARGS)

## drivers: the differential suite. Every scenario of internal/drivertest
## against the Node.js driver, mongosh and PyMongo, checked against
## diagnose and explain. Needs root (each client runs in a network
## namespace of its own) and `make drivers-install`; skips otherwise.
DRIVERS_NODE_DIR = testdata/drivers/node
DRIVERS_TEST = MONGOCONN_BIN=$(abspath $(BIN)) $(GO) test -tags drivers -count=1 -v -timeout 15m -parallel 8 ./internal/drivertest/

drivers: build
	$(DRIVERS_TEST)

## drivers-update: make drivers, then rewrite the suite's texts in
## testdata/explain and testdata/drivers/outcomes.json.
drivers-update: build
	$(DRIVERS_TEST) -args -update

## drivers-install: the clients, as root: Debian's python3-pymongo (and
## python3-dnspython for mongodb+srv), and the npm packages pinned in
## testdata/drivers/node (no install scripts: nothing is built or
## downloaded beyond the registry's packages).
drivers-install:
	apt-get update -qq
	apt-get install -y -qq python3-pymongo python3-dnspython
	cd $(DRIVERS_NODE_DIR) && npm ci --ignore-scripts --no-audit --no-fund

clean:
	rm -rf bin dist
