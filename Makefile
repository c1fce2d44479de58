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

# Two pytest-xdist workers, each file's tests in one worker (their shared Voila, kernel or
# LibreOffice start once), the slowest files handed out first (tests/conftest.py orders them).
# Before, a page given the preloaded kernel sometimes failed to fill in under load ("model
# not found"; most likely the kernel was busy building the other tabs past the page's 4 s
# wait for the widgets' state). The kernel now builds them only after a page has its
# widgets, and the two-worker suite passed quiet and with two and three busy loops beside it.
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
