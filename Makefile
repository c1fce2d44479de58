# Two commands for a fresh machine: `make run` (the app) and `make test` (every test).
# Both create or refresh the local virtual environment in .venv themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench workbooks excel-workbook example clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[all]"
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/retention-xl app

# One process. Two pytest-xdist workers (-n 2 --dist loadfile --no-loadscope-reorder, which
# tests/conftest.py orders for) take about two thirds of the time, but on a loaded machine a
# page of the app sometimes never fills in ("Error displaying widget: model not found", a page
# given the preloaded kernel): CI must not pass or fail by chance, so not until that is fixed.
test: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python -m benchmarks

example: $(STAMP)
	$(BIN)/retention-xl example

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis build *.egg-info

# The example workbook for the classic xlwings add-in (Excel functions).
excel-workbook: $(STAMP)
	$(BIN)/retention-xl excel-workbook workbooks/retention_functions.xlsx --force

# The template workbook: always what the generator produces (a test compares them).
workbooks: $(STAMP) excel-workbook
	$(BIN)/retention-xl template workbooks/retention_template.xlsx --force
