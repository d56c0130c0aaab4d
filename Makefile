# The binding's Arrow API exists only with this build tag (DESIGN §5):
# every build, vet, test and bench here passes it.
TAGS   := duckdb_arrow
GO     ?= go
BIN    := bin/portsweep
export CGO_ENABLED := 1

.PHONY: build run test bench lint fuzz clean

build:
	$(GO) build -tags $(TAGS) -o $(BIN) ./cmd/portsweep

# The main job on the bundled fixtures, no configuration.
run: build
	rm -rf out/demo out/demo.duckdb
	$(BIN) detect --db out/demo.duckdb --out out/demo --json --summary out/demo/summary.json fixtures/demo/

test: lint
	$(GO) test -tags $(TAGS) -count=1 ./...

# Speed figures: parser lines/s, and detection at 1M/10M records against
# the floor and the naive query (see README "Performance").
bench: build
	$(GO) test -tags $(TAGS) -run XXX -bench . -benchtime 1x ./loader/
	$(GO) run -tags $(TAGS) ./fixtures/cmd/benchdetect -bin $(BIN)

# Every go test -fuzz target, FUZZTIME each (not part of make test).
FUZZTIME ?= 10s
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -tags $(TAGS) -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "$$pkg $$f"; \
	    $(GO) test -tags $(TAGS) -run XXX -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet -tags $(TAGS) ./...

clean:
	rm -rf bin out
