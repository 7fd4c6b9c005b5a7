# One command runs everything CI runs: `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install serve test lint fmt bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

serve: $(STAMP)
	$(BIN)/dakg serve --host 127.0.0.1 --port 8000

lint: $(STAMP)
	$(BIN)/ruff check service tests $(wildcard bench)
	$(BIN)/ruff format --check service tests $(wildcard bench)
	$(BIN)/dakg fmt --check

fmt: $(STAMP)
	$(BIN)/ruff format service tests $(wildcard bench)
	$(BIN)/dakg fmt

test: $(STAMP) lint
	$(BIN)/dakg validate
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/pip install --quiet -e ".[test,bench]"
	@command -v wrk >/dev/null || echo "bench: wrk not found (apt-get install -y wrk); using the Python load generator"
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf build $(VENV)
