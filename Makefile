# The two commands of the README: `make demo` and `make test`. Both install what is missing.
SHELL := /bin/bash
.PHONY: deps build test chaos demo lint typecheck testenv-up testenv-down bench clean

node_modules/.package-lock.json: package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

deps: node_modules/.package-lock.json

build: deps
	npm run build

lint: deps
	npm run lint

typecheck: deps
	npm run typecheck

testenv-up: deps
	scripts/testenv up

testenv-down:
	scripts/testenv down

# The suite starts its own environment when none is up, and stops it afterwards. The first
# run on a machine builds the test control plane, Helm and the OCI registry from the Go module
# proxy (about 6, 6 and 8 minutes), before any test file starts, so no hook waits on a build.
test: deps
	test/kube/build.sh >/dev/null
	scripts/helm version >/dev/null
	scripts/registry --path >/dev/null
	scripts/browser >/dev/null
	scripts/debian-tools
	npx vitest run --reporter=default --reporter=json --outputFile.json=.testenv/vitest.json; \
	  status=$$?; node scripts/test-summary.mjs .testenv/vitest.json; exit $$status

# The fault-injection suite (test/chaos/): one fault at a time against real parts, with
# controllers; prints the table and writes test/chaos/RESULTS.md.
chaos: deps
	test/kube/build.sh >/dev/null
	scripts/debian-tools
	scripts/testenv up --with-controllers >/dev/null
	rm -f .testenv/chaos-results.jsonl
	start=$$SECONDS; npx vitest run --config vitest.chaos.config.ts --reporter=default --reporter=json --outputFile.json=.testenv/chaos.json; \
	  status=$$?; node scripts/chaos-table.mjs .testenv/chaos-results.jsonl .testenv/chaos.json $$((SECONDS - start)); exit $$status

# The demo's Deployment must become ready before Driftless reports success: it needs controllers.
demo: build
	scripts/testenv up --with-controllers >/dev/null
	npx tsx scripts/demo.ts

bench: build
	scripts/testenv up >/dev/null
	node --import tsx bench/run.ts

clean:
	rm -rf dist
