# Everything a fresh machine needs: Python >= 3.11, pip and make.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint typecheck check bench bench-million wheel clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

## run: open retro on a temporary copy of the sample data
run: $(STAMP)
	$(BIN)/retro demo

## test: lint, type-check and run the whole test suite
test: $(STAMP)
	$(BIN)/ruff check retro tests benchmarks sample_data
	$(BIN)/mypy retro
	$(BIN)/python -m pytest -q -n auto

lint: $(STAMP)
	$(BIN)/ruff check retro tests benchmarks sample_data

typecheck: $(STAMP)
	$(BIN)/mypy retro

## bench: print the benchmark ratios (every benchmark, logs up to 100,000 events)
bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

## bench-million: the read benchmark up to 1,000,000 events (minutes and gigabytes)
bench-million: $(STAMP)
	$(BIN)/python benchmarks/bench_reads.py --million

wheel: $(STAMP)
	$(BIN)/python -m pip wheel --no-deps -w dist .

clean:
	rm -rf $(VENV) build dist *.egg-info
