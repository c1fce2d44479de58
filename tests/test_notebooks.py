"""Every notebook in widgets/ runs top to bottom in a real kernel and shows its widget."""

from __future__ import annotations

import pathlib

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOK_DIR = pathlib.Path(__file__).parent.parent / "widgets"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def test_there_are_notebooks():
    names = {path.stem for path in NOTEBOOKS}
    assert names == {"app", "retention_calculator", "what_if", "from_data", "forecast"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_and_shows_a_widget(path):
    notebook = nbformat.read(path, as_version=4)
    nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3",
                            store_widget_state=True, resources={"metadata": {"path": str(path.parent)}}).execute()
    outputs = [out for cell in notebook.cells if cell.cell_type == "code" for out in cell.outputs]
    assert not [out for out in outputs if out.output_type == "error"]
    assert any("application/vnd.jupyter.widget-view+json" in out.get("data", {}) for out in outputs)
    state = notebook.metadata["widgets"][WIDGET_STATE]["state"]
    models = {model["model_name"] for model in state.values()}
    assert "HTMLModel" in models
    # the page has its numbers: a readout or a summary is filled in, no problem message
    texts = " ".join(str(model["state"].get("value", "")) for model in state.values()
                     if model["model_name"] == "HTMLModel")
    # and its chart: an <img> with alt text (or, for the data view, an image widget)
    assert 'class="rxl-chart"' in texts or "ImageModel" in models
    assert any(f'class="{name}"' in texts for name in ("rxl-card", "rxl-summary", "rxl-table"))
    assert 'role="alert"' not in texts


def test_committed_notebooks_are_the_ones_the_app_writes():
    from retention_xl.widgets.app import NOTEBOOKS as APP_NOTEBOOKS, notebook_json

    assert {path.name for path in NOTEBOOKS} == set(APP_NOTEBOOKS)
    for name, class_name in APP_NOTEBOOKS.items():
        path = NOTEBOOK_DIR / name
        assert path.read_text(encoding="utf-8") == notebook_json(class_name), name
