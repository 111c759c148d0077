# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test check bench clean

# The virtual environment with quanzi installed (redone when pyproject.toml changes).
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed-test
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

## run: install, migrate the embedded SQLite database, seed the demo world if empty, serve
run: $(VENV)/.installed
	$(BIN)/quanzi migrate
	$(BIN)/quanzi demo --if-empty
	$(BIN)/quanzi serve

## test: install the test dependencies and run the whole suite (SQLite; also PostgreSQL +
## Redis when QUANZI_TEST_DATABASE_URL and QUANZI_TEST_REDIS_URL are set)
test: $(VENV)/.installed-test
	.ci/browser
	$(BIN)/pytest

## check: lint, format check and type check
check: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
