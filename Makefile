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
	$(PY) -m pip install --quiet -e '.[dev,ray]'  # ray: CI tests --engine ray on a local cluster
	@# The browser tests drive Debian's chromium (never a downloaded one); as root, install it.
	@if [ ! -x /usr/bin/chromium ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  { apt-get install -y -q chromium || { apt-get update -q && apt-get install -y -q chromium; }; } \
	    >/dev/null 2>&1 || echo "chromium not installed: the browser tests will skip" >&2; \
	fi
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

# The shipped models: default and default-seed1..2, the default recipe with seeds 0-2, each
# trained on every sound (the recipe's figures are its cross-validation by source in
# BENCHMARKS.md). classify, organize and similar use `default`; `--model ensemble` and dream
# use the three together.
model: $(STAMP)
	for seed in 0 1 2; do \
	  name=default-seed$$seed; [ $$seed = 0 ] && name=default; \
	  $(VENV)/bin/drumnet train --preset default --seed $$seed --split none --out runs/$$name/model.safetensors --overwrite && \
	  cp runs/$$name/model.safetensors src/drumnet/models/$$name.safetensors || exit 1; \
	done
	$(PY) -c "from drumnet.library.embed import write_descriptor_stats as w; print('wrote', w())"

lint: $(STAMP)
	$(VENV)/bin/ruff format --check src tests benchmarks
	$(VENV)/bin/ruff check src tests benchmarks

format: $(STAMP)
	$(VENV)/bin/ruff format src tests benchmarks

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
