# The two commands of the README:
#   make run    - build the web client if needed and start chatd (embedded mode, http://localhost:8000)
#   make test   - install what a fresh machine lacks, then run every test (Go, Vitest, browser)
# Both install their own prerequisites: Debian's libvips-dev (cgo, images) and chromium
# (browser tests) through apt-get, and the web client's npm packages with npm ci.

SHELL := /bin/bash
GO ?= go
# The embedded SQLite's search index needs FTS5, which mattn/go-sqlite3
# compiles in only with this build tag: every go command below (build,
# vet, test, run) takes it from GOFLAGS.
export GOFLAGS := $(strip $(GOFLAGS) -tags=sqlite_fts5)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
GOTESTFLAGS ?=

.PHONY: run test deps deps-run web web-deps build vet test-go test-web bench bench-smoke bench-go clean

# --- prerequisites ----------------------------------------------------------
APT_UPDATED := /tmp/.chat-apt-updated
$(APT_UPDATED):
	$(SUDO) apt-get update -qq
	touch $@

deps-run: $(APT_UPDATED)
	@dpkg -s libvips-dev >/dev/null 2>&1 || $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libvips-dev pkg-config >/dev/null
	@command -v npm >/dev/null || $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null

deps: deps-run
	@command -v chromium >/dev/null || $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null

web-deps:
	@if [ ! -d web/node_modules ] || [ web/package-lock.json -nt web/node_modules/.package-lock.json ]; then \
		cd web && npm ci --no-audit --no-fund --loglevel=error; fi

# The UI is embedded from web/dist; rebuild it when any source is newer.
web: web-deps
	@if [ ! -f web/dist/index.html ] || [ -n "$$(find web/src web/scripts web/index.html web/package.json web/vite.config.* -newer web/dist/index.html 2>/dev/null | head -1)" ]; then \
		cd web && npm run build --silent && touch dist/.keep; fi

build: deps-run web
	$(GO) build -o bin/chatd ./cmd/chatd

# --- the two commands -------------------------------------------------------
run: build
	./bin/chatd serve

test: deps web vet test-go test-web
	@echo "all tests passed"

vet:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) mod tidy -diff
	$(GO) vet ./...

test-go:
	$(GO) test $(GOTESTFLAGS) -count=1 -timeout 15m ./...

test-web: web-deps
	cd web && npm test --silent

# Benchmarks drive a running chatd (make run, or see docs/BENCHMARKS.md for scale-out).
# Ladders of x1.15 so that "fan-out as % of the baseline" resolves ~15 % steps.
BENCH_URL ?= http://localhost:8000
BENCH_FLAGS ?= -start-rate 30000 -rate-factor 1.15 -persist-start-rate 3000 -max-steps 12
bench:
	$(GO) run ./cmd/chatbench -scenario standard -url $(BENCH_URL) $(BENCH_FLAGS) -json bench.json

bench-smoke:
	$(GO) run ./cmd/chatbench -scenario smoke -url $(BENCH_URL)

bench-go:
	$(GO) test -run '^$$' -bench . -benchtime 2s ./application/ ./adapters/wire/ ./adapters/ws/ ./adapters/redis/ ./adapters/sqlstore/ ./adapters/images/

clean:
	rm -rf bin web/dist
