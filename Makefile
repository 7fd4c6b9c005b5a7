# One command runs everything CI runs: `make test`. `make serve` installs only what serving needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SERVE_STAMP := $(VENV)/.installed-serve
TEST_STAMP := $(VENV)/.installed-test

# The Debian packages the tests use, in one place: headless Chromium and its driver (the browser
# tests), CJK fonts (the pages' screenshots), OpenLink Virtuoso (tests/e2e/test_virtuoso.py)
# and a JDK (tests/data/test_reasoners.py: HermiT and Pellet, and the OWL API's profile checker run as a
# single-file Java program).
DEBS := chromium chromium-driver fonts-noto-cjk virtuoso-opensource openjdk-17-jdk-headless

.PHONY: install deps serve test lint fmt bench clean

# A fresh Debian has Python but not always its venv module (python3-venv): as root it is installed.
$(BIN)/python:
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { \
	  rm -rf $(VENV); \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null && \
	    $(PYTHON) -m venv $(VENV); \
	  else \
	    echo "make: '$(PYTHON) -m venv' failed; install Python's venv module: sudo apt-get install -y python3-venv" >&2; \
	    exit 1; \
	  fi; }
	$(BIN)/pip install --quiet --upgrade pip

$(SERVE_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@ $(SERVE_STAMP)

install: $(TEST_STAMP)

# The system packages of DEBS: installed with apt-get when run as root, else named with the command
# that installs them (make test stops here, before any test runs).
deps:
	@missing=$$(for p in $(DEBS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || printf '%s ' $$p; \
	done); \
	[ -z "$$missing" ] && exit 0; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "make deps: apt-get install $$missing"; \
	  DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null || exit 1; \
	  service virtuoso-opensource-7 stop >/dev/null 2>&1 || true; \
	else \
	  echo "make test needs these Debian packages: $$missing" >&2; \
	  echo "install them with: sudo apt-get install -y $$missing" >&2; \
	  exit 1; \
	fi

serve: $(SERVE_STAMP)
	$(BIN)/dakg serve --host 127.0.0.1 --port 8000

lint: $(TEST_STAMP)
	$(BIN)/ruff check service tests $(wildcard bench)
	$(BIN)/ruff format --check service tests $(wildcard bench)
	$(BIN)/dakg fmt --check
	$(BIN)/lint-imports --no-cache

fmt: $(TEST_STAMP)
	$(BIN)/ruff format service tests $(wildcard bench)
	$(BIN)/dakg fmt

# The tests mirror the package: tests/unit/<package>/, tests/data/ (the graph itself), tests/e2e/
# (real processes: the command, the stores, Virtuoso, limits, packaging) and tests/integration/:
# the service as clients and the browser see it. After the whole suite in memory, the integration
# tests run again on disk (oxigraph:PATH) and on a real `oxigraph serve`, both filled by
# `dakg load`. Tests about one store only are deselected by their marker (see pyproject.toml).
SERVICE_TESTS := tests/integration

test: deps $(TEST_STAMP) lint
	$(BIN)/dakg validate
	$(BIN)/pytest
	DAKG_TEST_STORE=disk $(BIN)/pytest -m "not memory_only" $(SERVICE_TESTS)
	DAKG_TEST_STORE=remote $(BIN)/pytest -m "not memory_only and not embedded_only" $(SERVICE_TESTS)

bench: $(TEST_STAMP)
	$(BIN)/pip install --quiet -e ".[test,bench]"
	@command -v wrk >/dev/null || echo "bench: wrk not found (apt-get install -y wrk); using the Python load generator"
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf build $(VENV)
