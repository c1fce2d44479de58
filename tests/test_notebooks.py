"""Every notebook in widgets/ runs top to bottom in a real kernel and shows its widget.

One kernel runs them all, one after the other, its namespace emptied (``%reset -f``)
before each: a notebook that needed a name another one defined fails here as it would
alone, and the suite starts one kernel instead of five. Each notebook's widget is then
checked through the models its own output reaches.
"""

from __future__ import annotations

import pathlib

import pytest
from conftest import require_module

# imported by the one test that runs them: nbformat loads jsonschema, 2 s of CPU at import
require_module("nbformat", "nbclient")

NOTEBOOK_DIR = pathlib.Path(__file__).parent.parent / "widgets"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def test_there_are_notebooks():
    names = {path.stem for path in NOTEBOOKS}
    assert names == {"app", "retention_calculator", "what_if", "from_data", "forecast"}


@pytest.fixture(scope="module")
def executed():
    """Every notebook run in one kernel: ({notebook name: its executed cells}, widget state)."""
    import nbclient
    import nbformat

    combined = nbformat.v4.new_notebook()
    cells_of = {}
    for path in NOTEBOOKS:
        combined.cells.append(nbformat.v4.new_code_cell("%reset -f"))
        cells = nbformat.read(path, as_version=4).cells
        cells_of[path.stem] = cells
        combined.cells.extend(cells)
    # allow_errors: a notebook that fails leaves its error in its own outputs, the others still run
    nbclient.NotebookClient(combined, timeout=120, kernel_name="python3", store_widget_state=True,
                            allow_errors=True, resources={"metadata": {"path": str(NOTEBOOK_DIR)}}).execute()
    return cells_of, combined.metadata["widgets"][WIDGET_STATE]["state"]


def _reached(state: dict, model_id: str) -> list[dict]:
    """The models a widget is made of: itself and every model its state names, to the leaves."""
    seen, todo = set(), [model_id]
    while todo:
        key = todo.pop()
        if key in seen or key not in state:
            continue
        seen.add(key)
        stack = [state[key]["state"]]
        while stack:  # every "IPY_MODEL_<id>" anywhere in the state (children, layout, style)
            value = stack.pop()
            if isinstance(value, str) and value.startswith("IPY_MODEL_"):
                todo.append(value.removeprefix("IPY_MODEL_"))
            elif isinstance(value, dict):
                stack.extend(value.values())
            elif isinstance(value, list):
                stack.extend(value)
    return [state[key] for key in seen]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_and_shows_a_widget(executed, path):
    cells_of, state = executed
    outputs = [out for cell in cells_of[path.stem] if cell.cell_type == "code" for out in cell.outputs]
    assert not [out for out in outputs if out.output_type == "error"]
    views = [out["data"][WIDGET_VIEW]["model_id"] for out in outputs if WIDGET_VIEW in out.get("data", {})]
    assert views
    models = [model for view in views for model in _reached(state, view)]
    names = {model["model_name"] for model in models}
    assert "HTMLModel" in names
    # the page has its numbers: a readout or a summary is filled in, no problem message
    texts = " ".join(str(model["state"].get("value", "")) for model in models
                     if model["model_name"] == "HTMLModel")
    # and its chart: an <img> with alt text (or, for the data view, an image widget)
    assert 'class="rxl-chart"' in texts or "ImageModel" in names
    assert any(f'class="{name}"' in texts for name in ("rxl-card", "rxl-summary", "rxl-table"))
    assert 'role="alert"' not in texts


def test_committed_notebooks_are_the_ones_the_app_writes():
    from retention_xl.widgets.app import NOTEBOOKS as APP_NOTEBOOKS, notebook_json

    assert {path.name for path in NOTEBOOKS} == set(APP_NOTEBOOKS)
    for name, class_name in APP_NOTEBOOKS.items():
        path = NOTEBOOK_DIR / name
        assert path.read_text(encoding="utf-8") == notebook_json(class_name), name
