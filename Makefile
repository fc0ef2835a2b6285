# arcollect — `make run` (install + demo + show), `make test` (install + whole suite), `make bench`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
PYTEST_ARGS ?=

.PHONY: install system-deps run test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check pip==25.3
	$(BIN)/pip install -q --disable-pip-version-check -e '.[test]'
	rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

system-deps:
	bash scripts/install-system-deps.sh

run: install
	$(BIN)/arcollect init
	$(BIN)/arcollect demo --if-empty
	$(BIN)/arcollect aging --by collector

lint: install
	$(BIN)/lint-imports

test: install system-deps lint
	$(BIN)/pytest -n 2 $(PYTEST_ARGS)

bench: install system-deps
	$(BIN)/python benchmarks/ledger.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) build .pytest_cache .hypothesis
