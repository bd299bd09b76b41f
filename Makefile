# wopgraph: `make help` lists the targets. Everything runs from a project-local venv (.venv),
# created and filled on first use, so a fresh machine needs only python3 and make.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.DEFAULT_GOAL := help
.PHONY: help serve run test check lint validate build clean browser virtuoso bench bench-pages bench-writes
BENCH_ARGS ?= --sizes 10k,100k,1m --clients 4 --duration 3

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

serve: $(VENV)/.installed ## install, then serve the bundled graph (SPARQL endpoint) on HOST:PORT
	$(BIN)/wopgraph serve --host $(HOST) --port $(PORT)

run: $(VENV)/.installed ## install, then validate and build the bundled graph
	$(BIN)/wopgraph validate
	$(BIN)/wopgraph build

validate: $(VENV)/.installed ## validate data/ against the shapes and checks
	$(BIN)/wopgraph validate

build: $(VENV)/.installed ## write the dumps into build/
	$(BIN)/wopgraph build

browser: ## install Debian's Chromium for the browser tests when it is missing
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

virtuoso: ## install Debian's Virtuoso 7 for the remote-store tests when it is missing
	@command -v virtuoso-t >/dev/null 2>&1 || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq virtuoso-opensource >/dev/null; }

test: $(VENV)/.installed-test browser virtuoso ## install what the tests need, lint, and run every test
	$(BIN)/ruff check src tests
	$(BIN)/python -m pytest

lint: $(VENV)/.installed-test ## ruff: lint and format check
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests

check: lint test ## lint, then test

bench: $(VENV)/.installed ## benchmark serve vs bare pyoxigraph, rdflib, Virtuoso (~21 min; bench/README.md)
	@command -v virtuoso-t >/dev/null || echo "no Virtuoso (apt-get install virtuoso-opensource): its column will say not run"
	@command -v wrk >/dev/null 2>&1 || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; } || \
	  echo "no wrk: the workers comparison will use the Python clients"
	$(BIN)/python bench/run.py $(BENCH_ARGS)

bench-pages: $(VENV)/.installed ## time entity, hub, partnership and search pages at 1M triples
	$(BIN)/python bench/pages.py --size 1m --clients 4 --duration 10

bench-writes: $(VENV)/.installed ## time validated writes at 1 and 10,000 cases, the journal, memory vs disk
	$(BIN)/python bench/writes.py --sizes 2k,1240k --scan-sizes 100k,1m --writes 0,100,1000

clean: ## remove build outputs (keeps the venv)
	rm -rf build .pytest_cache .ruff_cache
