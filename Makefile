# Every target creates .venv and installs the project (editable, with dev extras) when needed.
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
PYTHON ?= python3

.PHONY: run test test-long lint bench screenshots clean prebuilt

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The reference database built once per fixture change, so a first run copies it (seconds -> ms).
prebuilt: $(STAMP)
	$(PY) -m workbench.core.prebuilt

run: prebuilt
	$(VENV)/bin/workbench

test: prebuilt
	$(PY) -m pytest -n 2 -q

test-long: prebuilt
	$(PY) -m pytest -n 2 -q --long

lint: $(STAMP)
	$(VENV)/bin/ruff check workbench tests benchmarks

bench: prebuilt
	$(PY) -m benchmarks

screenshots: $(STAMP)
	$(PY) scripts/screenshots.py

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info workbench/_prebuilt
