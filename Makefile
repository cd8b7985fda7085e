# drumnet: every target creates .venv and installs the project into it first.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: install demo test test-fast bench model lint format clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) (Python 3.11) on PATH" >&2; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The main job on the default data: fetch the Debian kits, build, train, report.
demo: $(STAMP)
	$(VENV)/bin/drumnet demo

# Every test, slow and data-hungry ones included (they fetch the Debian kits into the cache).
test: $(STAMP)
	$(VENV)/bin/pytest -q

test-fast: $(STAMP)
	$(VENV)/bin/pytest -q -m "not slow"

bench: $(STAMP)
	$(PY) benchmarks/run.py --out BENCHMARKS.md

# The shipped models: each measured on a split by library, then refitted on everything
# (seeded). default is the classifier; default-seed1 and -seed2 (same recipe, other seeds)
# join it in the ensemble (`--model ensemble`), which dreaming uses.
model: $(STAMP)
	$(VENV)/bin/drumnet train --preset default --split library --final --out runs/default-model/model.safetensors
	cp runs/default-model/model.safetensors src/drumnet/models/default.safetensors
	for seed in 1 2; do \
	  $(VENV)/bin/drumnet train --preset default --seed $$seed --split library --final --out runs/default-seed$$seed/model.safetensors && \
	  cp runs/default-seed$$seed/model.safetensors src/drumnet/models/default-seed$$seed.safetensors || exit 1; \
	done

lint: $(STAMP)
	$(VENV)/bin/ruff format --check src tests benchmarks
	$(VENV)/bin/ruff check src tests benchmarks

format: $(STAMP)
	$(VENV)/bin/ruff format src tests benchmarks

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
