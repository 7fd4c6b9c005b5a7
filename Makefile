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

# The service's test modules (they build an app or start a server): after the whole suite in
# memory, they run again on disk (oxigraph:PATH) and on a real `oxigraph serve`, both filled by
# `dakg load`. Tests about one store only are deselected by their marker (see pyproject.toml).
SERVICE_TESTS := $(addprefix tests/,test_sparql_protocol.py test_sparql_clients.py \
	test_sparql_parity.py test_sparql_page.py test_api.py test_dereference.py test_downloads.py \
	test_resources.py test_observability.py test_browser.py)

test: $(STAMP) lint
	$(BIN)/dakg validate
	$(BIN)/pytest
	DAKG_TEST_STORE=disk $(BIN)/pytest -m "not memory_only" $(SERVICE_TESTS)
	DAKG_TEST_STORE=remote $(BIN)/pytest -m "not memory_only and not embedded_only" $(SERVICE_TESTS)

bench: $(STAMP)
	$(BIN)/pip install --quiet -e ".[test,bench]"
	@command -v wrk >/dev/null || echo "bench: wrk not found (apt-get install -y wrk); using the Python load generator"
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf build $(VENV)
