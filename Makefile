# The two commands of the quick start: `make run` and `make test`. Nothing else is needed.
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)
PYTHON ?= python3
export TELLONCE_INSTANCE_PATH ?= instance

ASSETS := web/static/build/tellonce.css

.PHONY: run test test-postgres test-sqlite-system lint bench bench-scale plots clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

## The NHS.UK frontend's styles and script, built from the pinned npm packages.
$(ASSETS): package.json package-lock.json web/assets/*.scss web/assets/copy.mjs
	npm ci --no-audit --no-fund --loglevel=error
	npm run build --silent

## Set up, load the demo people and serve on http://localhost:5000 (SQLite, development).
run: $(STAMP) $(ASSETS)
	TELLONCE_ENV=development $(BIN)/tellonce init
	TELLONCE_ENV=development $(BIN)/tellonce demo
	TELLONCE_ENV=development $(BIN)/tellonce serve --host 127.0.0.1 --port 5000

## Lint, type-check, check the import contracts, and run the whole suite.
test: $(STAMP) $(ASSETS) lint
	$(BIN)/pytest -n 2 -q

## The suite again on PostgreSQL (CI sets TELLONCE_TEST_DATABASE_URL).
test-postgres: $(STAMP) $(ASSETS)
	$(BIN)/pytest -n 2 -q

## The suite again on the system's SQLite (CI sets TELLONCE_SQLITE_BINDING=system): the lock.
test-sqlite-system: $(STAMP) $(ASSETS)
	TELLONCE_SQLITE_BINDING=system $(BIN)/pytest -n 2 -q

## ruff, mypy and import-linter, as .pre-commit-config.yaml runs them on each commit.
lint: $(STAMP)
	PRE_COMMIT_HOME=$(VENV)/pre-commit $(BIN)/pre-commit run --all-files --show-diff-on-failure

## Benchmarks print ratios against a baseline measured in the same run.
## The table (SQLite, and PostgreSQL when one answers), then sign-in; bench/open_link.py also
## opens links again once the database has grown to 100,000 links.
bench: $(STAMP)
	$(BIN)/python bench/table.py
	$(BIN)/python bench/signin.py

## (b), (c) and (e) with 10 people and again with 100,000 made in bulk (bench/scale.py):
## about two hours on two cores. PEOPLE=10000 for a shorter run; POSTGRES=URL for PostgreSQL.
bench-scale: $(STAMP)
	$(BIN)/python bench/scale.py --people $(or $(PEOPLE),100000) $(if $(POSTGRES),--postgres $(POSTGRES))

## The plots of docs/performance.md: throughput against concurrency and against scale.
plots: $(STAMP)
	$(BIN)/pip install --quiet -e '.[test,bench]'
	$(BIN)/python bench/plots.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache node_modules web/static/build
