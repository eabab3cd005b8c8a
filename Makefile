# Two entry points, each doing all set-up on a fresh machine:
#   make run   - create .venv, install the project, run the default scenario (report in reports/out/)
#   make test  - create .venv, install the project with every extra, run the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SCENARIO ?= scenarios/trading_day.yaml

.PHONY: run test bench load clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.core: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.all: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[all,test]"
	touch $@ $(VENV)/.core

run: $(VENV)/.core
	$(BIN)/twin run $(SCENARIO)

test: $(VENV)/.all
	$(BIN)/python -m pytest -n 2 tests

# Every benchmark at its default size, one after the other, into one JSON file (docs/benchmarks.md);
# compare two with: python loadtests/benchmarks/compare.py OLD.json NEW.json
BENCH_OUT ?= bench.json
bench: $(VENV)/.all
	$(BIN)/python loadtests/benchmarks/run_all.py --out $(BENCH_OUT)

# 60 s locust load test of `twin serve` on loopback (docs/load_testing.md); LOAD_ARGS="-u 50 -t 120s" etc.
load: $(VENV)/.all
	$(BIN)/python loadtests/run_load.py $(LOAD_ARGS)

clean:
	rm -rf $(VENV) reports/out
