"""Voila as the app's server, admitting only the person who started it.

``python -m retention_xl.widgets.serve FOLDER [voila options]`` runs Voila in this
process with four guards Voila lacks on its own (``retention-xl app`` starts it so):

- Host and Origin: a request is answered only when its ``Host`` (and ``Origin``,
  when the browser sends one) is 127.0.0.1, localhost or ::1, so a web page that
  points its own name at this computer (DNS rebinding) or posts from another
  site gets 403. Voila itself allows any Host.
- Token: the launcher passes a random token (``--token``); without it Voila
  answers a login form and starts no kernel.
- A cap on live kernels (:data:`MAX_KERNELS`): one more page than that gets a
  sentence (503), not another 190 MB kernel.
- A kernel that dies is not restarted behind the page's back (an empty restarted
  kernel would leave the page looking alive and doing nothing); its model says
  "dead" and the page's watch (in the page template) says so.
- The preloaded page's refill waits until the page that took the kernel has
  opened (:data:`~retention_xl.widgets.launch.REFILL_DELAY_SECONDS`), unless
  another page asks for one first: a kernel starting at once (seconds of CPU)
  competes with the browser for the page just opened.
- The JupyterLab extension files the page loads are named after their content:
  the browser keeps them (``immutable``) instead of asking again on every open.
  Voila's own scripts are not, so the page asks for them under a folder named after
  a fingerprint of Voila's files (``/voila/static/rxl-KEY/``, :func:`cache_voila_scripts`):
  kept too, and a new version of Voila has a new folder.
- The legacy websocket loop: Voila 0.5.13 (the newest release) reads the header
  of every binary message to the browser as if it were in the v1 protocol; on a
  websocket opened without the v1 subprotocol the first 8 bytes of a legacy
  message are taken as a count of offsets and the server builds a list that
  size, growing by about 20 MB/s. :func:`read_v1_header` reads the header only
  when the offsets fit in the message.

The path box of the data view reads files through :func:`readable_file`, which
never follows a link to another user's file and reads only regular files.
"""

from __future__ import annotations

import ipaddress
import json
import os
import pathlib
import re
import sys
from urllib.parse import urlparse

__all__ = ["LOCAL_HOSTS", "MAX_KERNELS", "MAX_UPLOAD_BYTES", "IMMUTABLE", "VERSIONED_STATIC",
           "is_local", "is_content_named", "read_v1_header", "readable_file", "app_page_config",
           "main"]

#: The names a request to this app may carry in its Host and Origin headers.
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
#: Live kernels at most (open pages plus the preheated one); one page costs about 150 MB.
MAX_KERNELS = 8
#: Largest upload the data view reads (50 MiB): the one place the limit lives (from_data.py
#: imports it; here so that the server starts without loading the widgets).
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
#: Cache-Control of a file whose name carries a hash of its content (it never changes).
IMMUTABLE = "public, max-age=31536000, immutable"
#: Voila's scripts under ``/voila/static/`` + this + a fingerprint of its files + ``/``.
VERSIONED_STATIC = "rxl-"
#: A v1 binary message has a handful of offsets (header, parent, metadata, content, buffers).
_MAX_OFFSETS = 1024


def is_local(host_header: str | None) -> bool:
    """True when a Host header (``127.0.0.1:8866``, ``[::1]:80``) names this computer.

    >>> is_local("127.0.0.1:8866"), is_local("localhost"), is_local("[::1]:8866")
    (True, True, True)
    >>> is_local("evil.example:8866"), is_local("127.0.0.1.evil.example"), is_local(None)
    (False, False, False)
    """
    if not host_header:
        return False
    match = re.fullmatch(r"(\[[^\]]+\]|[^:]+)(:\d+)?", host_header.strip().lower())
    if not match:
        return False
    host = match.group(1).strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def origin_is_local(origin: str | None) -> bool:
    """True when there is no Origin header (same-page requests, scripts) or it is local.

    >>> origin_is_local(None), origin_is_local("http://127.0.0.1:8866")
    (True, True)
    >>> origin_is_local("http://evil.example"), origin_is_local("null")
    (False, False)
    """
    if origin is None:
        return True
    return is_local(urlparse(origin.strip()).netloc)


def is_content_named(path: str) -> bool:
    """True when a file's name carries a hash of its content (webpack's ``[contenthash]``),
    so that a new version of the file always has a new name.

    >>> is_content_named("/voila/labextensions/@jupyter-widgets/jupyterlab-manager/static/"
    ...                  "remoteEntry.c8c9eed2cdefdeac.js")
    True
    >>> is_content_named("/voila/labextensions/x/static/704.6a820cc839aca480.js")
    True
    >>> is_content_named("/voila/labextensions/x/static/style.js")
    False
    >>> is_content_named("/voila/labextensions/x/package.json")
    False
    """
    return re.search(r"\.[0-9a-f]{16,}\.(js|css|woff2?|ttf|svg|eot)$", path) is not None


def read_v1_header(ws_msg: bytes) -> dict | None:
    """The header of a v1-protocol binary websocket message, or None (never a huge list).

    >>> read_v1_header(b"\\xff" * 64) is None   # a legacy message: not read as v1
    True
    >>> header = json.dumps({"msg_type": "status"}).encode()
    >>> offsets = [4, 40, 48, 48 + len(header), 48 + len(header)]
    >>> message = b"".join(n.to_bytes(8, "little") for n in offsets) + b"iopub\\0\\0\\0" + header
    >>> read_v1_header(message)
    {'msg_type': 'status'}
    """
    if len(ws_msg) < 8:
        return None
    count = int.from_bytes(ws_msg[:8], "little")
    if not 3 <= count <= _MAX_OFFSETS or 8 * (count + 1) > len(ws_msg):
        return None
    offsets = [int.from_bytes(ws_msg[8 * (i + 1): 8 * (i + 2)], "little") for i in range(count)]
    if not offsets[1] <= offsets[2] <= len(ws_msg):
        return None
    try:
        return json.loads(ws_msg[offsets[1]:offsets[2]].decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None


def readable_file(text: str | os.PathLike) -> pathlib.Path:
    """The file a typed path names, checked before the app reads it.

    A path is read only when it is a regular file this user may read, and a
    link (anywhere along the path) leads only to a file this user owns: the app
    never follows a link into another user's file, nor reads a device or a
    pipe. Raises :class:`~retention_xl.RetentionInputError` with a sentence.

    >>> import tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> (folder / "shop.csv").write_text("Period\\n")
    7
    >>> readable_file(folder / "shop.csv").name
    'shop.csv'
    >>> readable_file("/dev/zero")
    Traceback (most recent call last):
    ...
    retention_xl.errors.RetentionInputError: file /dev/zero is not a regular file: give the path of a CSV or Excel file
    """
    from ..errors import RetentionInputError

    typed = str(text).strip()
    path = pathlib.Path(typed).expanduser()
    if not path.is_absolute():
        path = pathlib.Path.cwd() / path
    try:
        real = path.resolve(strict=True)
        status = real.stat()
    except (OSError, RuntimeError):
        raise RetentionInputError(f"there is no file at {typed}: check the folder and the name",
                                  field="path") from None
    import stat

    if not stat.S_ISREG(status.st_mode):
        raise RetentionInputError(
            f"file {typed} is not a regular file: give the path of a CSV or Excel file",
            field="path")
    if real != pathlib.Path(os.path.abspath(path)) and status.st_uid != os.getuid():
        raise RetentionInputError(
            f"file {typed} is a link to a file of another user: the app does not follow it",
            field="path")
    if not os.access(real, os.R_OK):
        raise RetentionInputError(f"file {typed} cannot be read by you", field="path")
    return real


# --------------------------------------------------------------------------- the guards
def _forbidden(handler) -> bool:
    request = handler.request
    return not (is_local(request.headers.get("Host"))
                and origin_is_local(request.headers.get("Origin")))


def install_guards(max_kernels: int = MAX_KERNELS) -> None:
    """Patch Voila and Jupyter Server, in this process only, with the guards above."""
    import tornado.web
    from jupyter_server.base.handlers import JupyterHandler
    from voila import app as voila_app
    from voila import voila_kernel_manager
    from voila.tornado import kernel_websocket_handler

    def check_host(self) -> bool:  # every Jupyter handler, the kernel websocket included
        if _forbidden(self):
            self.log.warning("Refused a request with Host %r and Origin %r",
                             self.request.headers.get("Host"), self.request.headers.get("Origin"))
            return False
        return True

    JupyterHandler.check_host = check_host
    static_prepare = tornado.web.StaticFileHandler.prepare

    def static_guarded(self):
        if _forbidden(self):
            raise tornado.web.HTTPError(403)
        return static_prepare(self)

    tornado.web.StaticFileHandler.prepare = static_guarded
    kernel_websocket_handler.read_header_from_binary_message = read_v1_header
    voila_kernel_manager.wait_before = refill_after

    factory = voila_app.voila_kernel_manager_factory

    def capped_factory(*args, **kwargs):
        base = factory(*args, **kwargs)

        class CappedKernelManager(base):
            def _live(self) -> int:
                starting = sum(not task.done() for pool in getattr(self, "_pools", {}).values()
                               for task in pool)
                return len(self.list_kernel_ids()) + starting

            async def start_kernel(self, *a, **kw):
                if self._live() >= max_kernels:
                    raise tornado.web.HTTPError(
                        503, reason=f"Too many pages open ({max_kernels} at most): close a "
                                    "tab of the app, or wait two minutes, then reload")
                return await super().start_kernel(*a, **kw)

            def kernel_model(self, kernel_id):
                """The kernel's model, "dead" when its process has ended (the page's
                watch asks for it and then says so, instead of looking alive)."""
                model = super().kernel_model(kernel_id)
                kernel = self._kernels.get(kernel_id)
                process = getattr(getattr(kernel, "provisioner", None), "process", None)
                if process is not None and process.poll() is not None:
                    model["execution_state"] = "dead"
                return model

            async def shutdown_kernel(self, kernel_id, *a, **kw):
                result = await super().shutdown_kernel(kernel_id, *a, **kw)
                # a culled page makes room: keep the preloaded page ready again
                if not getattr(self, "_closing", False):
                    for notebook in list(getattr(self, "_pools", {})):
                        self.fill_if_needed(notebook_name=notebook)
                return result

            async def shutdown_all(self, *a, **kw):
                self._closing = True
                return await super().shutdown_all(*a, **kw)

            async def get_rendered_notebook(self, *a, **kw):
                # a page asks for the preloaded kernel: a refill still waiting starts now
                # (this page then awaits it), instead of after its delay
                refill_now()
                return await super().get_rendered_notebook(*a, **kw)

            def fill_if_needed(self, *a, **kw):  # the preloaded pages count too
                if self._live() < max_kernels:
                    return super().fill_if_needed(*a, **kw)
                self.log.info("Not preloading a page: %s kernels live", max_kernels)

        CappedKernelManager.__name__ = base.__name__  # its config section stays the same
        return CappedKernelManager

    voila_app.voila_kernel_manager_factory = capped_factory


def cache_content_named_files() -> None:
    """Let the browser keep the extension files named after their content (Jupyter Server
    serves every file under /voila/labextensions/ with "no-cache": asked again, one round
    trip each, on every open of the page; a new version has a new name, so never stale)."""
    from jupyter_server.base.handlers import FileFindHandler

    set_headers = FileFindHandler.set_headers

    def set_headers_cached(self) -> None:
        set_headers(self)
        if is_content_named(self.request.path):
            self.set_header("Cache-Control", IMMUTABLE)

    FileFindHandler.set_headers = set_headers_cached


def fingerprint(folders) -> str:
    """A short hash of every file under ``folders`` (its path, size and time of change):
    any file added, removed or rewritten gives another fingerprint.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as name:
    ...     folder = pathlib.Path(name)
    ...     _ = (folder / "a.js").write_text("1")
    ...     before = fingerprint([folder])
    ...     same = before == fingerprint([folder])
    ...     _ = (folder / "b.js").write_text("2")
    ...     after = fingerprint([folder])
    >>> same, len(before), before == after
    (True, 16, False)
    """
    import hashlib

    digest = hashlib.sha256()
    for folder in map(pathlib.Path, folders):
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            try:
                status = path.stat()
            except OSError:
                continue
            if path.is_file():
                digest.update(f"{path}\0{status.st_size}\0{status.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


_keys: dict = {}


def static_key(static_paths, fresh: bool = False) -> str:
    """The fingerprint of Voila's static folders: computed again when ``fresh`` (each page
    rendered: some milliseconds), else the last one (each file served)."""
    roots = tuple(static_paths)
    if fresh or roots not in _keys:
        _keys[roots] = fingerprint(roots)
    return _keys[roots]


def cache_voila_scripts() -> None:
    """Serve Voila's scripts also under ``/voila/static/rxl-KEY/``, KEY the fingerprint of
    Voila's static files, as immutable (the page asks for its chunks there: see
    :func:`app_page_config`). Voila names them by number only (``7155.voila.js``) and Voila
    serves them to be checked again on every open (one round trip each, ~75 a page); under
    a folder named after every file's size and time, a new version of Voila is in another
    folder: a page never mixes a kept old file with new ones. A folder of another KEY
    (an older Voila's) is not found."""
    import tornado.web
    from voila.static_file_handler import MultiStaticFileHandler

    parse_url_path = MultiStaticFileHandler.parse_url_path
    set_headers = MultiStaticFileHandler.set_headers

    def parse_versioned(self, url_path: str) -> str:
        folder, _, rest = url_path.partition("/")
        if folder.startswith(VERSIONED_STATIC):
            if folder != VERSIONED_STATIC + static_key(self.roots) or not rest:
                raise tornado.web.HTTPError(404)
            self._rxl_versioned = True
            url_path = rest
        return parse_url_path(self, url_path)

    def set_headers_versioned(self) -> None:
        set_headers(self)
        if getattr(self, "_rxl_versioned", False):
            self.set_header("Cache-Control", IMMUTABLE)

    MultiStaticFileHandler.parse_url_path = parse_versioned
    MultiStaticFileHandler.set_headers = set_headers_versioned


def app_page_config(page_config: dict, settings: dict | None = None, **context) -> dict:
    """The page's settings (Voila's page hook): no MathJax (:func:`page_without_mathjax`),
    and Voila's chunks asked for in their fingerprinted folder (:func:`cache_voila_scripts`).
    Called as a page is rendered (a preloaded page: before anyone asks for it), it also
    takes the fingerprint again (some milliseconds), so an upgrade while the server runs
    is seen by the next page."""
    config = page_without_mathjax(page_config)
    voila = (settings or {}).get("voila")  # the Voila application keeps itself there
    if voila is not None:  # an upgrade while the server runs: a new folder
        config["fullStaticUrl"] = (f"{config['fullStaticUrl']}/{VERSIONED_STATIC}"
                                   f"{static_key(voila.static_paths, fresh=True)}")
    return config


#: Refills of the preloaded page now waiting out their delay (each a future to wake it).
_waiting_refills: set = set()


async def refill_after(delay: float, start):
    """Voila's wait before it refills its pool of preloaded pages (``wait_before``),
    cut short by :func:`refill_now`: the refill waits while the page that took the
    preloaded kernel opens, but never keeps another page waiting."""
    import asyncio

    woken = asyncio.get_running_loop().create_future()
    _waiting_refills.add(woken)
    try:
        await asyncio.wait({woken}, timeout=delay)
    finally:
        _waiting_refills.discard(woken)
    return await start


def refill_now() -> int:
    """Start at once every refill still waiting; return how many there were."""
    woken = [future for future in _waiting_refills if not future.done()]
    for future in woken:
        future.set_result(None)
    return len(woken)


def websocket_message_limit() -> int:
    """Largest websocket message the server takes: the upload limit plus 4 MiB for the
    message's own header (and for a file a little too large, refused by the widget)."""
    return MAX_UPLOAD_BYTES + 4 * 2**20


def page_without_mathjax(page_config: dict, **_context) -> dict:
    """The page's settings with no MathJax (Voila's page hook).

    Voila's page otherwise loads its MathJax typesetter, pointed at a CDN, and
    typesets once at start: time spent before the page is usable, for formulas
    the app never shows, and a request that fails offline. Without it, a "$" in
    a label or a file's text is shown as typed, never read as the start of a formula.
    """
    return {**page_config, "fullMathjaxUrl": "null", "mathjaxConfig": "null"}


def skip_slow_imports() -> None:
    """Keep out of this process a module that only slows its start.

    jsonschema (which Jupyter Server's event log loads) imports ``rfc3987_syntax``
    when it is installed, to check the "iri" format; that module builds a grammar
    at import: 2 s of every start on a quiet machine, 5 s on a busy one. No schema
    the server reads uses that format, and jsonschema goes without it when the
    import fails (as when the package is not installed).
    """
    sys.modules.setdefault("rfc3987_syntax", None)  # None: "import rfc3987_syntax" fails


def main(argv: list[str] | None = None) -> None:
    """Run Voila with the guards. ``--preload=NOTEBOOK:N`` keeps N kernels of that
    notebook ready, already run (Voila's preheated kernels), and no other."""
    skip_slow_imports()
    # kernels inherit this: ipywidgets then sends no echo of every change a page makes (one
    # message less per slider step); the echo keeps several pages of one kernel in step,
    # and here each page has a kernel of its own
    os.environ.setdefault("JUPYTER_WIDGETS_ECHO", "0")
    install_guards(int(os.environ.get("RETENTION_XL_MAX_KERNELS", MAX_KERNELS)))
    cache_content_named_files()
    cache_voila_scripts()
    from traitlets.config import Config
    from voila.app import Voila

    args = list(sys.argv[1:] if argv is None else argv)
    config = Config()
    # tornado drops a websocket message above 10 MiB without a word: let an upload up to the
    # stated limit (and a little over, which the widget then refuses with its sentence) arrive
    config.Voila.tornado_settings = {"websocket_max_message_size": websocket_message_limit()}
    config.VoilaConfiguration.page_config_hook = app_page_config
    config.VoilaConfiguration.extension_denylist = ["jupyterlab_pygments"]  # shows no code
    for arg in [a for a in args if a.startswith("--preload=")]:
        args.remove(arg)
        notebook, _, size = arg.split("=", 1)[1].rpartition(":")
        config.VoilaConfiguration.preheat_kernel = True
        config.VoilaKernelManager.kernel_pools_config = {
            "default": {"pool_size": 0}, notebook: {"pool_size": int(size)}}
    Voila.launch_instance(args, config=config)


if __name__ == "__main__":
    main()
