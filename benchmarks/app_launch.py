"""``retention-xl app`` started as ``make run`` starts it, in a process of its own, with a
stand-in browser (``BROWSER``) that writes down the address the launcher hands it.

Shared by the page-open benchmark (``python -m benchmarks open``) and the launcher's test
(``tests/test_app_open.py``), so both watch the same launch; with the looks at a running
server's kernels they share too (:func:`kernel_state`, :func:`wait_until_newest_kernel_idle`).
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request

ROOT = pathlib.Path(__file__).parent.parent

#: The stand-in browser: writes the address it is given to a file.
BROWSER_RECORDER = """#!/bin/sh
printf '%s\\n' "$1" > "{path}"
"""


class LaunchedApp:
    """``with LaunchedApp(folder) as app:`` starts the launcher; leaving stops it as
    Ctrl+C does (SIGTERM) and keeps its exit status in ``app.exit_status``."""

    def __init__(self, folder: pathlib.Path):
        self.folder = pathlib.Path(folder)
        self.address_file = self.folder / "address"
        self.output_file = self.folder / "output.txt"
        self.process: subprocess.Popen | None = None
        self.exit_status: int | None = None
        self.started = 0.0

    def __enter__(self) -> "LaunchedApp":
        recorder = self.folder / "browser.sh"
        recorder.write_text(BROWSER_RECORDER.format(path=self.address_file))
        recorder.chmod(0o755)
        env = dict(os.environ, BROWSER=f"{recorder} %s", PYTHONUNBUFFERED="1")
        self.started = time.monotonic()
        with open(self.output_file, "wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-c", "import sys; from retention_xl.cli import main; "
                                       "sys.exit(main(['app']))"],
                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        return self

    def output(self) -> str:
        """What the launcher has printed so far."""
        return self.output_file.read_text()

    def address(self, timeout: float = 120) -> str:
        """The address handed to the browser, once it has been (RuntimeError if the
        launcher stops or ``timeout`` seconds pass first)."""
        while not self.address_file.exists() or not self.address_file.read_text().strip():
            if self.process.poll() is not None or time.monotonic() - self.started > timeout:
                raise RuntimeError(f"the app did not open a browser:\n{self.output()}")
            time.sleep(0.05)
        return self.address_file.read_text().strip()

    def wait_for(self, text: str, timeout: float = 120) -> bool:
        """Wait until the launcher prints ``text``; False if it stops or time runs out."""
        while text not in self.output():
            if self.process.poll() is not None or time.monotonic() - self.started > timeout:
                return False
            time.sleep(0.05)
        return True

    def __exit__(self, *_exc) -> None:
        self.process.terminate()  # the launcher stops Voila and its kernels (as on Ctrl+C)
        self.exit_status = self.process.wait(60)


def kernel_state(server, kernel_id: str) -> str | None:
    """A kernel's execution state as the server (a ``VoilaServer``) reports it, None once
    it is gone."""
    address = f"{server.base_url}/api/kernels/{kernel_id}?token={server.token}"
    try:
        with urllib.request.urlopen(address, timeout=5) as answer:
            return json.load(answer)["execution_state"]
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return None
        raise


def wait_until_newest_kernel_idle(server, deadline: float) -> None:
    """Until the kernel the server started last is idle at five looks 0.2 s apart (the page
    kept ready has run the app), or ``deadline`` (``time.monotonic()``). Voila lists no
    kernels; its log names each one it starts."""
    newest = re.findall(r"Kernel started: ([0-9a-f-]{36})", server.log())[-1]
    idle = 0
    while idle < 5 and time.monotonic() < deadline:
        idle = idle + 1 if kernel_state(server, newest) == "idle" else 0
        time.sleep(0.2)
