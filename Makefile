# consentgate — `make run` serves the gateway with the demo platform, `make test` runs every check.
# Both create .venv and install the package when it is missing or pyproject.toml changed.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
SUBJECTS ?= 20000
SEED ?= 1
PORT ?= 8000

.PHONY: run test lint format bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("consentgate needs Python >= 3.11 (set PYTHON=...)" if sys.version_info < (3, 11) else 0)'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/consentgate serve --demo --host 127.0.0.1 --port $(PORT) --subjects $(SUBJECTS) --seed $(SEED)

lint: $(STAMP)
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

test: lint
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/decide.py --json
	$(BIN)/python benchmarks/gateway_http.py --json --rounds 3
	$(BIN)/python benchmarks/detector.py --json
	$(BIN)/python benchmarks/ledger.py --json
	$(BIN)/python benchmarks/breach_scope.py --json
	$(BIN)/python benchmarks/export.py --json

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
