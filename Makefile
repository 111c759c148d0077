# The two commands a newcomer needs: `make run` and `make test`.
# They install the versions CI tested, pinned in requirements/*.txt (`make lock` refreshes them).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
COMPILE := $(BIN)/pip-compile --quiet --strip-extras --no-emit-index-url --no-emit-find-links

.PHONY: run test check lock clean

# The virtual environment with quanzi installed (redone when the pinned versions change).
$(VENV)/.installed: pyproject.toml requirements/run.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements/run.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

# The test and development tools (one pinned set for `make test` and `make check`).
$(VENV)/.installed-dev: $(VENV)/.installed requirements/dev.txt
	$(BIN)/pip install --quiet -r requirements/dev.txt
	touch $@

## run: install, migrate the embedded SQLite database, seed the demo world if empty, serve
run: $(VENV)/.installed
	$(BIN)/quanzi migrate
	$(BIN)/quanzi demo --if-empty
	$(BIN)/quanzi serve

## test: install the test dependencies and run the whole suite (SQLite; also PostgreSQL +
## Redis when QUANZI_TEST_DATABASE_URL and QUANZI_TEST_REDIS_URL are set). The browser tests
## need Chromium and fonts (.ci/browser) and axe-core from npm, at the version
## package-lock.json pins (`npm ci`).
test: $(VENV)/.installed-dev
	.ci/browser
	npm ci --no-audit --no-fund
	$(BIN)/pytest

## check: lint, format check and type check
check: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts
	$(BIN)/mypy

## lock: pin the newest versions pyproject.toml allows into requirements/ (then run the tests)
lock: $(VENV)/.installed-dev
	$(COMPILE) --upgrade -o requirements/run.txt pyproject.toml
	$(COMPILE) --upgrade --extra test --extra dev --constraint requirements/run.txt \
		-o requirements/dev.txt pyproject.toml
	sed -i '/^quanzi @ /d' requirements/dev.txt

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache node_modules
