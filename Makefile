# arcollect — `make run` (install + demo + serve on 127.0.0.1:8000), `make test` (install + whole suite), `make bench` (`make bench BENCH_ARGS=--quick`: a small smoke run),
# `make fuzz` (the readers of untrusted files, long: FUZZ_EXAMPLES per target), `make screenshots` (the README's
# images in docs/screenshots/, from the demo at 1280 px; the tests never write there).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
PYTEST_ARGS ?=

.PHONY: install system-deps run test lint bench fuzz screenshots clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check pip==25.3
	$(BIN)/pip install -q --disable-pip-version-check -e '.[test]'
	rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

system-deps:
	bash scripts/install-system-deps.sh

HOST ?= 127.0.0.1
PORT ?= 8000

run: install
	$(BIN)/arcollect init
	$(BIN)/arcollect demo --if-empty --with-users
	$(BIN)/arcollect serve --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/lint-imports

test: install system-deps lint
	$(BIN)/pytest -n 2 $(PYTEST_ARGS)

bench: install system-deps
	$(BIN)/pip install -q --disable-pip-version-check -e '.[test,bench]'
	$(BIN)/python benchmarks/ledger.py $(BENCH_ARGS)
	$(BIN)/python benchmarks/reports.py $(BENCH_ARGS)
	$(BIN)/python benchmarks/prediction.py $(BENCH_ARGS)
	$(BIN)/python benchmarks/web.py $(BENCH_ARGS)
	$(BIN)/python benchmarks/workbench.py $(BENCH_ARGS)
	$(BIN)/python benchmarks/outreach.py
	$(BIN)/python benchmarks/cashapp.py $(CASHAPP_BENCH_ARGS)
	$(BIN)/python benchmarks/assistant.py
	$(BIN)/python benchmarks/workers.py $(WORKERS_BENCH_ARGS)
	$(BIN)/python benchmarks/cli.py
	$(BIN)/python benchmarks/peer.py $(PEER_BENCH_ARGS)

FUZZ_EXAMPLES ?= 20000

fuzz: install system-deps
	ARCOLLECT_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) ARCOLLECT_TEST_BACKENDS=sqlite $(BIN)/pytest -q tests/security/test_fuzz_imports.py tests/cashapp/test_formats_fuzz.py
	ARCOLLECT_SCHEMATHESIS_EXAMPLES=200 ARCOLLECT_SCHEMATHESIS_EXAMPLES_PG=50 $(BIN)/pytest -q -n 2 tests/api/test_schema.py

screenshots: install system-deps
	$(BIN)/python scripts/screenshots.py

clean:
	rm -rf $(VENV) build .pytest_cache .hypothesis
