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

# Two pytest-xdist workers: each file's tests run in one worker, the files of slow tests
# first (tests/conftest.py); the browser files share a Chromium and a Voila per worker.
test: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadfile --no-loadscope-reorder

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
