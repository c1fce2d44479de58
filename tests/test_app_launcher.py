"""`retention-xl app` (what `make run` starts): prints the address, serves the app, stops cleanly."""

from __future__ import annotations

import pathlib
import re
import signal
import subprocess
import sys
import urllib.request

import pytest
from conftest import require_module

require_module("voila")  # not imported: voila and jupyterlab take seconds to import

from retention_xl.widgets.app import free_port, write_notebooks  # noqa: E402
from retention_xl.widgets.launch import _descendants  # noqa: E402

pytestmark = pytest.mark.slow


def test_free_port_is_free_and_on_localhost():
    import socket

    port = free_port()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", port))  # would raise if someone listened there


def test_app_command_serves_the_app_and_stops_on_ctrl_c(tmp_path):
    write_notebooks(tmp_path)
    command = [sys.executable, "-m", "retention_xl.cli", "app", "--no-browser",
               "--folder", str(tmp_path)]
    launcher = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True)
    started: list[int] = []
    try:
        lines = []
        for line in launcher.stdout:
            lines.append(line)
            if "The app is ready" in line:
                break
        url = re.search(r"http://127\.0\.0\.1:\d+/voila/render/app\.ipynb\?token=[\w-]+",
                        "".join(lines))
        assert url, "".join(lines)
        assert "/ ;" not in "".join(lines)  # no developer file list offered
        with urllib.request.urlopen(url.group(0), timeout=60) as page:  # starts a kernel
            assert page.status == 200
            assert "retention_xl.widgets" not in page.read().decode()  # sources stripped
        started = _descendants(launcher.pid)
        assert started  # Voila, and the kernel of the page
        launcher.send_signal(signal.SIGINT)  # Ctrl+C
        rest = launcher.communicate(timeout=60)[0]
    finally:
        if launcher.poll() is None:
            launcher.kill()
            launcher.wait()
    assert launcher.returncode == 0
    assert "Stopped." in rest
    for pid in started:
        stat = pathlib.Path(f"/proc/{pid}/stat")
        assert not stat.exists() or stat.read_text().split(") ")[1][0] == "Z", pid
