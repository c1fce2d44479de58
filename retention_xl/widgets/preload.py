"""The scripts a page of the app fetches, named in the page's head so that the browser
asks for them all at once.

Left to itself, the page asks for its ~90 scripts in waves, each known only once the one
before has run: Voila's ``voila.js``, then its chunks, then the widget extensions' entry
files, then their chunks, then the chunks the widgets need. Between two waves the browser
waits on the server. A ``<link rel="preload">`` for each in the page's head lets the
browser fetch them all while it reads the page; each script still runs when its own
wave asks for it, as before (nothing else on the page changes).

Which scripts: those the pages of the app have fetched, as the server saw them (a script
under ``/voila/static/`` or ``/voila/labextensions/`` asked for by a page of that notebook).
No list is written by hand: a page opened on a new installation is not hinted and teaches
the server its scripts; the next pages are hinted. The record is kept in a file named after
a fingerprint of every front-end file (Voila's static files, the JupyterLab extensions) and
of the app's widget code: an upgrade of Voila or ipywidgets, or a change of the app, starts
a new record, so a page is never told to fetch a file it would not use.
"""

from __future__ import annotations

import hashlib
import json
import os
import pathlib
import re
from urllib.parse import urlparse

__all__ = ["PageScripts", "fingerprint", "cache_folder", "notebook_of_page", "is_page_script"]

#: The address of a page of a notebook (Voila's ``/voila/render/NOTEBOOK``).
_PAGE = re.compile(r"/voila/render/(?P<notebook>[^?#]+)$")
#: A script the page's front end loads (Voila's own, or a JupyterLab extension's).
_SCRIPT = re.compile(r"/voila/(static|labextensions)/[^?#]+\.js$")


def cache_folder() -> pathlib.Path:
    """Where the records are kept: ``$RETENTION_XL_CACHE``, else the user's cache folder
    (``$XDG_CACHE_HOME/retention_xl``, ``~/.cache/retention_xl``)."""
    if os.environ.get("RETENTION_XL_CACHE"):
        return pathlib.Path(os.environ["RETENTION_XL_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or pathlib.Path.home() / ".cache"
    return pathlib.Path(base) / "retention_xl"


def fingerprint(folders) -> str:
    """A short hash of every file under ``folders`` (its path, size and time of change):
    any file added, removed or rewritten gives another fingerprint.

    >>> import tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> (folder / "a.js").write_text("1")
    1
    >>> before = fingerprint([folder])
    >>> before == fingerprint([folder]), len(before)
    (True, 16)
    >>> (folder / "b.js").write_text("2")
    1
    >>> before == fingerprint([folder])
    False
    """
    digest = hashlib.sha256()
    for folder in folders:
        folder = pathlib.Path(folder)
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            if "__pycache__" in path.parts:  # rewritten by Python itself, not a change
                continue
            try:
                status = path.stat()
            except OSError:
                continue
            if path.is_file():
                digest.update(f"{path}\0{status.st_size}\0{status.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


def notebook_of_page(referer: str | None, base_url: str = "/") -> str | None:
    """The notebook whose page made a request (from its Referer), None for any other.

    >>> notebook_of_page("http://127.0.0.1:8866/voila/render/app.ipynb?token=abc")
    'app.ipynb'
    >>> notebook_of_page("http://127.0.0.1:8866/voila/tree"), notebook_of_page(None)
    (None, None)
    """
    if not referer:
        return None
    path = urlparse(referer).path
    if not path.startswith(base_url):
        return None
    found = _PAGE.search("/" + path[len(base_url):])
    return found.group("notebook") if found else None


def is_page_script(path: str) -> bool:
    """True for a script of the page's front end.

    >>> is_page_script("/voila/static/7155.voila.js"), is_page_script("/voila/static/x.css")
    (True, False)
    >>> is_page_script("/voila/labextensions/@jupyter-widgets/jupyterlab-manager/static/"
    ...                "remoteEntry.c8c9eed2cdefdeac.js")
    True
    """
    return _SCRIPT.search(path) is not None


class PageScripts:
    """The scripts the pages of each notebook fetched, kept in a file of ``folder``
    named after ``key`` (a :func:`fingerprint`), in the order first fetched.

    >>> import tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> record = PageScripts(folder, "k1")
    >>> record.hints("app.ipynb")
    []
    >>> record.seen("app.ipynb", "/voila/static/voila.js")
    True
    >>> record.seen("app.ipynb", "/voila/static/voila.js")   # already known
    False
    >>> PageScripts(folder, "k1").hints("app.ipynb")          # kept for the next start
    ['/voila/static/voila.js']
    >>> PageScripts(folder, "k2").hints("app.ipynb")          # another installation
    []
    """

    #: Scripts recorded for one notebook at most (a page fetches about 90).
    LIMIT = 500

    def __init__(self, folder, key: str):
        self.key = key
        self.path = pathlib.Path(folder) / f"page-scripts-{key}.json"
        try:
            self._scripts = {notebook: list(paths) for notebook, paths
                             in json.loads(self.path.read_text()).items()}
        except (OSError, ValueError, AttributeError, TypeError):
            self._scripts = {}

    def hints(self, notebook: str) -> list[str]:
        """The scripts a page of ``notebook`` will fetch (addresses, first fetched first)."""
        return list(self._scripts.get(notebook, []))

    def seen(self, notebook: str, path: str) -> bool:
        """Record that a page of ``notebook`` fetched ``path``; True when it is new."""
        known = self._scripts.setdefault(notebook, [])
        if path in known or len(known) >= self.LIMIT:
            return False
        known.append(path)
        try:  # written whole, then renamed: never half a file for another server to read
            if not self.path.exists():
                self._forget_old_records()
            self.path.parent.mkdir(parents=True, exist_ok=True)
            part = self.path.with_suffix(f".{os.getpid()}.part")
            part.write_text(json.dumps(self._scripts, indent=1))
            part.replace(self.path)
        except OSError:
            pass  # kept for this server's pages only
        return True

    def _forget_old_records(self, days: float = 30) -> None:
        """Remove the records of other installations left unused for ``days``."""
        import time

        for other in self.path.parent.glob("page-scripts-*.json"):
            try:
                if other != self.path and time.time() - other.stat().st_mtime > days * 86400:
                    other.unlink()
            except OSError:
                pass
