"""The widgets in JupyterLab (the ``lab`` extra): open a notebook, run it, see the calculator.

JupyterLab runs on 127.0.0.1 with a token, from a temporary folder holding the
app's notebooks; Debian's Chromium runs all cells and types into a box.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
import urllib.request

import pytest

from conftest import require_module

pytestmark = [pytest.mark.browser, pytest.mark.slow]
require_module("jupyterlab")  # not imported: voila and jupyterlab take seconds to import


@pytest.fixture()
def jupyter_lab(tmp_path):
    from retention_xl.widgets.app import free_port, write_notebooks
    from retention_xl.widgets.launch import _descendants

    write_notebooks(tmp_path)
    port, token = free_port(), secrets.token_urlsafe(16)
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
               f"--port={port}", "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={token}",
               "--ServerApp.port_retries=0", f"--ServerApp.root_dir={tmp_path}"]
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(tmp_path / "config"),
               JUPYTERLAB_SETTINGS_DIR=str(tmp_path / "settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "workspaces"))
    log = open(tmp_path / "lab.log", "wb")
    lab = subprocess.Popen(command, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT,
                           env=env, start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status?token={token}",
                                            timeout=2):
                    break
            except OSError:
                if lab.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError((tmp_path / "lab.log").read_text()[-2000:])
                time.sleep(0.3)
        yield f"http://127.0.0.1:{port}", token
    finally:
        children = _descendants(lab.pid)
        lab.terminate()
        try:
            lab.wait(20)
        except subprocess.TimeoutExpired:
            lab.kill()
        for pid in children:
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                pass
        log.close()


def test_the_calculator_renders_and_computes_in_jupyterlab(jupyter_lab, chromium):
    base, token = jupyter_lab
    context = chromium.browser.new_context(viewport={"width": 1366, "height": 900})
    try:
        page = context.new_page()
        page.set_default_timeout(45_000)
        page.goto(f"{base}/lab/tree/retention_calculator.ipynb?token={token}")
        page.locator(".jp-Notebook .jp-Cell").first.wait_for()
        # JupyterLab may ask which kernel to start (the notebook's own): whichever comes first,
        # the question or the started kernel, is waited for (not a fixed wait for the question)
        select = page.get_by_role("button", name="Select", exact=True)
        idle = page.get_by_text("Python 3 (ipykernel) | Idle")
        select.or_(idle).first.wait_for()
        if select.is_visible():
            select.click()
        idle.wait_for()
        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
        box = page.get_by_role("textbox", name="Customers at start of period", exact=True)
        box.wait_for()
        box.fill("200")
        chromium.expect(page.locator(".rxl-card").first).to_contain_text("49.5%")  # 99/200
        chromium.expect(page.get_by_role("img", name="Of 200 customers at the start, 99 were kept and "
                                                      "101 lost; with 21 new there were 120 at the end.")
                        ).to_be_visible()
    finally:
        context.close()
