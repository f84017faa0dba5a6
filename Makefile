# 书香 Shuxiang — `make help` lists the targets.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000

.DEFAULT_GOAL := help
.PHONY: help install run test soak bench lint fmt typecheck check messages clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP) ## create .venv and install shuxiang into it (.venv/bin/shuxiang)

run: install ## set up the database, load the demo school if empty, serve on :8000
	$(BIN)/shuxiang init
	$(BIN)/shuxiang demo --if-empty
	$(BIN)/shuxiang serve --host $(HOST) --port $(PORT)

test: install ## run the whole test suite (SQLite, or DATABASE_URL)
	$(BIN)/python -m pytest

soak: install ## the reliability tests, long: hundreds of kills and 20x the fuzz examples
	SHUXIANG_SOAK=1 $(BIN)/python -m pytest shuxiang/tests_reliability shuxiang/api/tests/test_openapi_fuzz.py shuxiang/sip2/tests/test_protocol_properties.py -p no:logging -s

bench: install ## run the benchmarks, write bench/results.json and bench/REPORT.md
	$(BIN)/python -m bench.run

lint: install ## ruff lint + format check, mypy strict
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy shuxiang

fmt: install ## format the code with ruff
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: install ## mypy strict
	$(BIN)/mypy shuxiang

check: lint test ## lint and test

messages: install ## update and compile the zh_Hans translations
	cd shuxiang && ../$(BIN)/python ../manage.py makemessages -l zh_Hans --no-obsolete --no-location
	cd shuxiang && ../$(BIN)/python ../manage.py compilemessages -l zh_Hans

clean: ## remove the virtual environment (keeps var/, your data)
	rm -rf $(VENV)
