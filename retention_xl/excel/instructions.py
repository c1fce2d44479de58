"""The set-up steps for both Python runtimes, as ``retention-xl excel`` prints them.

The README section "Use it in Excel" says the same; a test keeps the two in step.
"""

from __future__ import annotations

from retention_xl.excel import UDF_MODULE

CLASSIC_STEPS = (
    'pip install "retention-xl[excel]"   (from this folder: pip install ".[excel]")',
    "xlwings addin install",
    "In Excel: File > Options > Trust Center > Trust Center Settings > Macro Settings: "
    'tick "Trust access to the VBA project object model".',
    "Open workbooks/retention_functions.xlsx (its xlwings.conf sheet already names the "
    f"UDF module {UDF_MODULE}), or in your own workbook enter {UDF_MODULE} under "
    "UDF Modules on the xlwings ribbon tab.",
    "xlwings ribbon tab > Import Functions.",
    "Save the workbook as .xlsm (macro-enabled): the imported functions are VBA.",
)

LITE_STEPS = (
    "In Excel (Windows, macOS or the web): Home > Add-ins, search for xlwings, Add "
    "(xlwings Lite: free, no Python to install).",
    "Open the xlwings Lite task pane and replace the text of main.py with the main.py "
    "written by this command.",
    "Open requirements.txt in the task pane and add the lines of the requirements.txt "
    "written by this command (numpy, pandas), keeping the lines already there.",
    "Restart or run once so that Lite registers the functions; then type =RETENTION(107,120,21).",
)


def steps_text(lite_folder: str = "retention_xl_lite") -> str:
    """Both recipes as numbered steps."""
    lines = ["Use retention_xl in Excel: =RETENTION(A2,B2,C2) and friends", "",
             "Classic xlwings add-in (Windows desktop Excel, Python on your computer):"]
    lines += [f"  {i}. {step}" for i, step in enumerate(CLASSIC_STEPS, 1)]
    lines += ["", f"xlwings Lite (any Excel; files written to {lite_folder}/):"]
    lines += [f"  {i}. {step}" for i, step in enumerate(LITE_STEPS, 1)]
    lines += ["", "No Python at all: workbooks/retention_template.xlsx computes with plain "
              "formulas in any spreadsheet."]
    return "\n".join(lines)
