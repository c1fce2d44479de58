"""retention_xl in Excel: =RETENTION(A2,B2,C2) and friends, through xlwings.

- :mod:`retention_xl.excel.functions`: the Excel functions, one module for both
  Python runtimes (the classic xlwings add-in on Windows and xlwings Lite). Its
  dotted name is what the classic add-in's "UDF Modules" setting names.
- :mod:`retention_xl.excel.cells`: what a cell value means (blanks, text such as
  "1,200" or "92.5%", booleans, error cells) and how a result or a bad row goes
  back into a cell. Reusable by any new Excel function.
- :mod:`retention_xl.excel.lite`: writes the self-contained ``main.py`` and
  ``requirements.txt`` an xlwings Lite user pastes, generated from this
  package's own source files.
- :mod:`retention_xl.excel.example_workbook`: writes ``workbooks/retention_functions.xlsx``,
  the example workbook ready for the classic add-in.
- :mod:`retention_xl.excel.instructions`: the set-up steps the ``retention-xl excel``
  command prints.

Importing this package loads neither xlwings nor openpyxl; only the modules that
need them do.
"""

#: The module the classic add-in imports ("UDF Modules" in the xlwings ribbon or sheet).
UDF_MODULE = "retention_xl.excel.functions"

#: The Function Wizard category of every retention_xl function.
CATEGORY = "Retention"
