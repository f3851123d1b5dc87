# Omnistock: `make demo` sets up and runs everything on the simulated retailer; `make test` tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: setup demo run test ui lint browser java bench bench-engines clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,oracle,notify,spark]'
	touch $(STAMP)

demo: setup
	$(BIN)/omnistock demo

run: setup
	$(BIN)/omnistock run

# Browser tests drive Debian's Chromium; install it when missing and we may (root, Debian).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium not found: browser tests will be skipped"; fi; }

# The Spark equality test runs a local Spark session: it needs a Java runtime (17 or 21).
java:
	@command -v java >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null; \
	  else echo "java not found: the Spark equality test will fail"; fi; }

# The import-linter contracts (pyproject.toml) first: a broken layer fails fast.
test: setup browser java
	$(BIN)/lint-imports
	$(BIN)/pytest -q

ui: setup
	$(BIN)/omnistock ui

lint: setup
	$(BIN)/ruff check .
	$(BIN)/lint-imports

# Benchmarks on the `large` scenario (simulated once into $(BENCH)); figures go to docs/benchmarks.md.
BENCH := benchmarks/.work/large
REFERENCE := benchmarks/.work/reference
bench: setup
	test -d $(BENCH)/landing/reference || $(BIN)/omnistock simulate --scenario large --out $(BENCH)/landing
	$(BIN)/python benchmarks/bench_ingest.py $(BENCH)/landing
	$(BIN)/python benchmarks/bench_dbt.py $(BENCH)/warehouse.duckdb --landing $(BENCH)/landing
	$(BIN)/python benchmarks/bench_process_map.py $(BENCH)/process-map.duckdb --landing $(BENCH)/landing --sizes 100000 1000000 10000000  # vs pm4py
	$(BIN)/python benchmarks/bench_pipeline.py $(BENCH)/landing  # omnistock run: time, peak memory, fixed costs
	test -d $(REFERENCE)/landing/reference || $(BIN)/omnistock simulate --scenario reference --out $(REFERENCE)/landing
	$(BIN)/python benchmarks/bench_pipeline.py $(REFERENCE)/landing --answers --work-dir $(REFERENCE)  # a run for the stores' counts
	$(BIN)/python benchmarks/bench_freshness.py  # landing -> dashboards under `omnistock ui`, on reference
	$(BIN)/python benchmarks/model_card.py
	$(BIN)/python benchmarks/bench_pages.py  # page loads on a snapshot of reference

# DuckDB vs Spark local on `tiny` and `reference` (docs/benchmarks.md, "Engines"); needs Java.
bench-engines: setup java
	$(BIN)/python benchmarks/bench_engines.py

clean:
	rm -rf .omnistock dbt_project/target dbt_project/logs
