# Every target creates .venv and installs the project (editable, with dev extras) when needed.
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
PYTHON ?= python3

.PHONY: run shell test test-long lint bench screenshots clean prebuilt

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The reference database built once per fixture change, so a first run copies it (seconds -> ms).
# The package byte-compiled too, as pip leaves a wheel: under PYTHONDONTWRITEBYTECODE=1 an editable
# install would otherwise compile every module it imports on every launch (~100 ms of start-up).
prebuilt: $(STAMP)
	$(PY) -m workbench.core.prebuilt
	$(PY) -m compileall -q workbench

run: prebuilt
	$(VENV)/bin/workbench

# A shell where `workbench` and `pytest` are the project's (exit returns to your own shell).
shell: $(STAMP)
	@echo "workbench is on PATH in this shell; type exit to leave it"
	@PATH="$(abspath $(VENV))/bin:$$PATH" VIRTUAL_ENV="$(abspath $(VENV))" $${SHELL:-/bin/sh}

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
