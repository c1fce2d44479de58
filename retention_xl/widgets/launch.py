"""``retention-xl app`` (what ``make run`` does): the app's server, started and stopped cleanly.

It starts Voila on 127.0.0.1 on a free port, serving the notebooks of ``widgets/``
through the guarded server of :mod:`retention_xl.widgets.serve` (a random token in
the address, Host and Origin checked, a cap on kernels), with the app notebook
preloaded so that a page opens at once. It opens the browser as soon as the server
answers (the page then fills in by itself) and says in the terminal when the app is
ready. A page closed or reloaded stops its kernel itself (its last word to the
server, from the page template); one gone without a word is culled within two
minutes. Ctrl+C stops Voila and every kernel it started.

This module loads neither ipywidgets nor matplotlib: the launcher starts the server
first, and only the server's kernels build the widgets.
"""

from __future__ import annotations

import os
import pathlib
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

__all__ = ["NOTEBOOKS", "APP_NOTEBOOK", "write_notebooks", "notebook_json", "free_port",
           "VoilaServer", "main"]

#: The notebooks the app serves: file name -> the widget class it shows.
#: They only import and display (``widgets/*.ipynb`` are these, written by
#: :func:`write_notebooks`).
NOTEBOOKS = {
    "app.ipynb": "App",
    "retention_calculator.ipynb": "RetentionCalculator",
    "what_if.ipynb": "WhatIf",
    "from_data.ipynb": "FromData",
    "forecast.ipynb": "GroupForecast",
}
APP_NOTEBOOK = "app.ipynb"

#: A kernel whose page was closed is stopped after this long without activity
#: (checked every CULL_INTERVAL_SECONDS): freed within two minutes even when the page
#: could not say goodbye (a closed tab stops its kernel at once). A page still
#: open keeps its kernel however long it stays idle.
CULL_IDLE_SECONDS = 60
CULL_INTERVAL_SECONDS = 30
#: The page template (Voila's lab page with no CDN stylesheet), found through JUPYTER_PATH.
TEMPLATE = "retention_xl"
TEMPLATE_ROOT = pathlib.Path(__file__).parent / "voila_template"
#: Kernels kept started, the app notebook already run, so that a page opens at once.
PRELOADED_PAGES = 1
#: Seconds after a page takes the preloaded kernel before the next one starts, unless
#: another page asks for one sooner (it then starts at once: serve.refill_now). A kernel
#: starting takes seconds of CPU: started while the page that took the last one is still
#: opening (usable after 2-4 s), it slowed that page by 0.4-1.5 s on this 2-core machine.
REFILL_DELAY_SECONDS = 4.0



def notebook_json(class_name: str) -> str:
    """The text of a notebook that shows one widget class and nothing else."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    # the app builds its first tab first (its page is usable sooner), the others just after
    call = f"{class_name}(later=True)" if class_name == "App" else f"{class_name}()"
    notebook = new_notebook(cells=[new_code_cell(
        f"from retention_xl.widgets import {class_name}\n{call}")])
    notebook.cells[0].id = class_name.lower()  # a fixed id: rewriting gives the same file
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    notebook.metadata["language_info"] = {"name": "python"}
    notebook.metadata["title"] = "retention_xl"  # the browser tab's title
    return nbformat.writes(notebook) + "\n"


def write_notebooks(folder) -> pathlib.Path:
    """Write the app's notebooks into ``folder`` (created if needed); return it."""
    folder = pathlib.Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, class_name in NOTEBOOKS.items():
        (folder / name).write_text(notebook_json(class_name), encoding="utf-8")
    return folder


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now (the system picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def _descendants(pid: int) -> list[int]:
    """Every process started by ``pid``, children first then theirs (Linux /proc)."""
    found, queue = [], [pid]
    while queue:
        parent = queue.pop()
        for task in pathlib.Path(f"/proc/{parent}/task").glob("*"):
            try:
                children = (task / "children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                if child not in found:
                    found.append(child)
                    queue.append(child)
    return found


class VoilaServer:
    """Voila serving a folder of notebooks on 127.0.0.1, started and stopped cleanly.

    Parameters
    ----------
    folder : path
        The notebooks to serve.
    port : int, optional
        Default: a free port.
    token : str, optional
        The secret every address carries (default: a new random one). Requests
        without it get a login form and start no kernel; requests whose Host or
        Origin is not this computer get 403 (see :mod:`retention_xl.widgets.serve`).
    preheat : bool
        Keep :data:`PRELOADED_PAGES` kernels ready with the app already run, so
        the page opens at once.
    refill_delay : float
        Seconds after a page takes the preloaded kernel before the next one starts
        (:data:`REFILL_DELAY_SECONDS`), or at once when another page asks for one.
    """

    def __init__(self, folder, port: int | None = None, token: str | None = None,
                 preheat: bool = True, refill_delay: float | None = None):
        self.folder = pathlib.Path(folder).resolve()
        self.port = port or free_port()
        self.token = token or secrets.token_urlsafe(24)
        self.preheat = preheat
        self.refill_delay = REFILL_DELAY_SECONDS if refill_delay is None else refill_delay
        self.process: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, notebook: str = APP_NOTEBOOK, token: bool = True) -> str:
        """Address of one notebook's page, with the token (what the user opens)."""
        address = f"{self.base_url}/voila/render/{notebook}"
        return f"{address}?token={self.token}" if token else address

    def command(self) -> list[str]:
        command = [sys.executable, "-m", "retention_xl.widgets.serve", str(self.folder),
                   "--no-browser", f"--template={TEMPLATE}", f"--port={self.port}", "--Voila.ip=127.0.0.1",
                   "--Voila.port_retries=0", f"--Voila.token={self.token}",
                   f"--MappingKernelManager.cull_idle_timeout={CULL_IDLE_SECONDS}",
                   f"--MappingKernelManager.cull_interval={CULL_INTERVAL_SECONDS}",
                   "--MappingKernelManager.cull_connected=False",
                   # a killed kernel stays dead: the page says so (see serve.py)
                   "--KernelManager.autorestart=False"]
        if self.preheat:
            # only the app notebook is kept ready; the single-widget pages start on demand
            command.append(f"--preload={APP_NOTEBOOK}:{PRELOADED_PAGES}")
            command.append(f"--VoilaKernelManager.fill_delay={self.refill_delay}")
        return command

    def start(self, timeout: float = 60, wait_for_page: bool = True) -> "VoilaServer":
        """Start Voila and wait until it answers and (``wait_for_page``) the preloaded
        page is ready; without, a page opened at once fills in when the kernel has run."""
        # Voila's messages go to a log file (printed when it fails to start)
        self.log_path = pathlib.Path(tempfile.mkstemp(prefix="retention_xl_app_", suffix=".log")[1])
        log = open(self.log_path, "wb")
        env = dict(os.environ)
        env["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(TEMPLATE_ROOT),
                                                            env.get("JUPYTER_PATH")]))
        # its own session: Ctrl+C in the terminal reaches this launcher, which stops
        # Voila in order, instead of hitting Voila and its kernels all at once
        self.process = subprocess.Popen(self.command(), cwd=self.folder, stdout=log,
                                        stderr=subprocess.STDOUT, start_new_session=True,
                                        env=env)
        log.close()
        self._deadline = time.monotonic() + timeout
        self._wait(self._answers, timeout)
        if wait_for_page:
            self.wait_until_ready()
        return self

    def wait_until_ready(self) -> "VoilaServer":
        """Wait until the preloaded page is ready (the app notebook has run in its kernel)."""
        if self.preheat:
            self._wait(self._preloaded_page_ready,
                       max(1.0, getattr(self, "_deadline", 0) - time.monotonic()))
        return self

    def _wait(self, done, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Voila stopped at start (exit status "
                                   f"{self.process.returncode}):\n{self.log()[-2000:]}")
            if done():
                return
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"Voila did not answer on {self.base_url} within {timeout:.0f} s")

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.base_url}/voila/static/voila.js", timeout=2):
                return True
        except OSError:
            return False

    def _preloaded_page_ready(self) -> bool:
        """The preloaded kernel has run the app notebook: idle for a second after its start."""
        import json

        if "Kernel pool of" not in self.log():
            return False
        started = re.findall(r"Kernel started: ([0-9a-f-]{36})", self.log())
        if not started:
            return False
        address = f"{self.base_url}/api/kernels/{started[0]}?token={self.token}"
        for _ in range(5):  # idle at five looks in a row, 0.2 s apart
            try:
                with urllib.request.urlopen(address, timeout=2) as answer:
                    if json.load(answer).get("execution_state") != "idle":
                        return False
            except (OSError, ValueError):
                return False
            time.sleep(0.2)
        return True

    def log(self) -> str:
        """What Voila has printed so far."""
        try:
            return self.log_path.read_text(errors="replace")
        except (AttributeError, OSError):
            return ""

    def stop(self, grace: float = 10) -> None:
        """SIGTERM, wait, then kill whatever Voila left behind (its kernels), by PID."""
        if self.process is None:
            return
        children = _descendants(self.process.pid)
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(grace)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for pid in children:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            except PermissionError:  # pragma: no cover - the PID was reused by someone else
                pass
        # a kill is delivered, not done: wait (5 s at most) until each is gone or a zombie,
        # so that "stopped" means no kernel of this server still runs
        deadline = time.monotonic() + 5
        while any(_running(pid) for pid in children) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.process = None
        if getattr(self, "log_path", None) is not None:
            self.log_path.unlink(missing_ok=True)

    def __enter__(self) -> "VoilaServer":
        # `with VoilaServer(folder).start() as server:` must not start a second Voila
        return self if self.process is not None else self.start()

    def __exit__(self, *_exc) -> None:
        self.stop()


def _can_open_a_browser() -> bool:
    return sys.platform in ("darwin", "win32") or bool(
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
        or os.environ.get("BROWSER"))


def main(folder=None, port: int | None = None, open_browser: bool | None = None) -> int:
    """Serve the app until Ctrl+C; print its address. ``folder``: default ``./widgets``.

    The browser opens as soon as the server answers: the page loads its scripts
    while the kernel builds the app, and fills in by itself (about a second sooner
    than opening it once the kernel is done). The terminal says when it is ready.
    """
    if folder is None:
        here = pathlib.Path.cwd() / "widgets"
        folder = here if (here / APP_NOTEBOOK).is_file() else write_notebooks(
            pathlib.Path(tempfile.mkdtemp(prefix="retention_xl_app_")))
    server = VoilaServer(folder, port)
    print("Starting the retention_xl app: it takes a few seconds...", flush=True)
    stop_requested = False

    def _terminate(_signum, _frame):  # `kill` of the launcher: stop like Ctrl+C
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        server.start(wait_for_page=False)
        url = server.url()
        if open_browser if open_browser is not None else _can_open_a_browser():
            import webbrowser

            webbrowser.open(url)
            print("Opening it in your browser (the page fills in by itself)...", flush=True)
        server.wait_until_ready()
        print(f"\n  The app is ready: open {url}\n"
              "  (only this computer can open it, and only with this address)\n"
              "  Press Ctrl+C here to stop it.\n", flush=True)
        while server.process.poll() is None:
            time.sleep(0.5)
        print(f"The app stopped by itself (exit status {server.process.returncode}).")
        return 1
    except KeyboardInterrupt:
        stop_requested = True
        return 0
    finally:
        if stop_requested:
            print("\nStopping the app...", flush=True)
        server.stop()
        signal.signal(signal.SIGTERM, previous)
        if stop_requested:
            print("Stopped.", flush=True)


def _running(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie (dead, waiting to be reaped)."""
    try:
        state = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"
