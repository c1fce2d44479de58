"""The app admits only the person who started it (issue 14), tested against the running app.

Every request goes to 127.0.0.1 only. One Voila start (through the guarded server
of ``retention_xl.widgets.serve``) with a cap of 3 live kernels.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import http.client
import json
import os
import pathlib
import re
import stat
import time
import uuid

import pytest
from benchmarks.app_launch import wait_until_newest_kernel_idle
from conftest import require_module, run_async

require_module("voila")  # not imported: voila and jupyterlab take seconds to import

from retention_xl import RetentionInputError  # noqa: E402
from retention_xl.widgets.app import VoilaServer  # noqa: E402
from retention_xl.widgets.launch import _descendants  # noqa: E402
from retention_xl.widgets.serve import readable_file  # noqa: E402

pytestmark = pytest.mark.slow
ROOT = pathlib.Path(__file__).parent.parent
CAP = 3


@pytest.fixture(scope="module")
def server():
    os.environ["RETENTION_XL_MAX_KERNELS"] = str(CAP)
    try:
        app = VoilaServer(ROOT / "widgets").start(timeout=90)
    finally:
        del os.environ["RETENTION_XL_MAX_KERNELS"]
    try:
        _wait_for_kernels(app, 1)  # the preloaded page
        yield app
    finally:
        app.stop()


def _kernels(app) -> int:
    return sum("ipykernel" in _cmdline(pid) for pid in _descendants(app.process.pid))


def _cmdline(pid: int) -> str:
    try:
        return pathlib.Path(f"/proc/{pid}/cmdline").read_text()
    except OSError:
        return ""


def _wait_for_kernels(app, count: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while _kernels(app) < count and time.monotonic() < deadline:
        time.sleep(0.2)


def _get(app, path: str, headers: dict | None = None):
    connection = http.client.HTTPConnection("127.0.0.1", app.port, timeout=60)
    connection.request("GET", path, headers=headers or {})
    response = connection.getresponse()
    return response.status, response.read().decode(errors="replace"), response.getheader("Location")


def _rss_mb(pid: int) -> int:
    status = pathlib.Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) // 1024


def test_the_printed_address_carries_a_random_token(server):
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/voila/render/app\.ipynb\?token=[\w-]{32}",
                        server.url())
    assert VoilaServer(ROOT / "widgets").token != VoilaServer(ROOT / "widgets").token


def test_no_token_no_page_and_no_kernel(server):
    before = _kernels(server)
    status, body, location = _get(server, "/voila/render/app.ipynb")
    assert status == 302 and location.startswith("/login")
    status, body, _ = _get(server, "/voila/render/app.ipynb?token=wrong")
    assert status == 302
    time.sleep(1.5)  # a started kernel would show by now
    assert _kernels(server) == before


@pytest.mark.parametrize("headers", [
    {"Host": "evil.example"},  # DNS rebinding: the attacker's name for 127.0.0.1
    {"Host": "127.0.0.1.evil.example"},
    {"Origin": "http://evil.example"},  # another site's page
    {"Origin": "null"},
])
def test_foreign_host_or_origin_is_refused(server, headers):
    before = _kernels(server)
    status, _, _ = _get(server, f"/voila/render/app.ipynb?token={server.token}", headers)
    assert status == 403
    status, _, _ = _get(server, "/voila/static/voila.js", headers)
    assert status == 403
    assert _kernels(server) == before


def test_local_names_are_admitted(server):
    for host in (f"127.0.0.1:{server.port}", f"localhost:{server.port}"):
        status, _, _ = _get(server, "/voila/static/voila.js",
                            {"Host": host, "Origin": f"http://{host}"})
        assert status == 200


def _page_kernel_and_model(server) -> tuple[str, set[str]]:
    status, body, _ = _get(server, f"/voila/render/app.ipynb?token={server.token}")
    assert status == 200
    kernel = re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", body)
    return kernel.group(0), set(re.findall(r'"model_id":\s*"([0-9a-f]{32})"', body))


def test_websocket_from_another_origin_is_refused(server):
    from tornado.httpclient import HTTPClientError, HTTPRequest
    from tornado.websocket import websocket_connect

    kernel, _ = _page_kernel_and_model(server)
    url = f"ws://127.0.0.1:{server.port}/api/kernels/{kernel}/channels?token={server.token}"

    async def connect():
        request = HTTPRequest(url, headers={"Origin": "http://evil.example"})
        await websocket_connect(request)

    with pytest.raises(HTTPClientError, match="403"):
        run_async(connect())


def test_legacy_websocket_request_state_does_not_grow_the_server(server):
    """The reproduction: no v1 subprotocol, then request_state for every widget."""
    from tornado.websocket import websocket_connect

    kernel, first = _page_kernel_and_model(server)
    voila = server.process.pid
    url = (f"ws://127.0.0.1:{server.port}/api/kernels/{kernel}/channels"
           f"?token={server.token}&session_id=attack")

    async def attack() -> tuple[int, int, int]:
        socket = await websocket_connect(url)  # no subprotocol: the legacy protocol
        asked: set[str] = set()

        async def request_state(ids):
            for model in ids - asked:
                asked.add(model)
                await socket.write_message(json.dumps({
                    "header": {"msg_id": uuid.uuid4().hex, "msg_type": "comm_msg",
                               "username": "", "session": "attack", "version": "5.3",
                               "date": ""},
                    "parent_header": {}, "metadata": {}, "channel": "shell",
                    "content": {"comm_id": model, "data": {"method": "request_state"}}}))

        # as a page does, ask for every widget's state on the control comm: the app then
        # builds its other tabs (a preloaded kernel waits for a page), whose charts are binary
        control = uuid.uuid4().hex
        for msg_type, content, metadata in (
                ("comm_open", {"comm_id": control, "target_name": "jupyter.widget.control",
                               "data": {}}, {"version": "1.0.0"}),
                ("comm_msg", {"comm_id": control, "data": {"method": "request_states"}}, {})):
            await socket.write_message(json.dumps({
                "header": {"msg_id": uuid.uuid4().hex, "msg_type": msg_type, "username": "",
                           "session": "attack", "version": "5.3", "date": ""},
                "parent_header": {}, "metadata": metadata, "channel": "shell",
                "content": content}))
        await request_state(first)
        start = peak = _rss_mb(voila)
        # a bounded client: 8 seconds, or until every state asked for has come, the charts'
        # included, and the server has said nothing more for a second. An unguarded server
        # freezes on the first binary message it sends: its client waits the 8 seconds out.
        binary, ends, heard = 0, time.monotonic() + 8, time.monotonic()
        while time.monotonic() < ends and not (binary and time.monotonic() - heard > 1):
            try:
                message = await asyncio.wait_for(socket.read_message(), 0.5)
            except asyncio.TimeoutError:
                message = None
            if message:
                heard = time.monotonic()
            if isinstance(message, bytes):
                binary += 1
            elif message:
                await request_state(set(re.findall(r"IPY_MODEL_([0-9a-f]{32})", message)))
            peak = max(peak, _rss_mb(voila))
        socket.close()
        return start, peak, binary

    start, peak, binary = run_async(attack())
    assert binary >= 1  # the charts' PNG states came back as binary messages
    assert peak - start < 100, (start, peak)  # unguarded Voila 0.5.13 grows ~20 MB/s and freezes
    began = time.monotonic()
    status, _, _ = _get(server, "/voila/static/voila.js")
    assert status == 200 and time.monotonic() - began < 2


def test_kernels_are_capped(server):
    """Pages opened one after another: the cap answers with a sentence, not a new kernel."""
    statuses = []
    for _ in range(CAP + 2):
        status, body, _ = _get(server, f"/voila/render/app.ipynb?token={server.token}")
        statuses.append(status)
        if status == 503:
            assert "Too many pages open (3 at most)" in body
            break
        time.sleep(1.5)  # the pool refills
    assert statuses[-1] == 503, statuses
    assert _kernels(server) <= CAP


# --------------------------------------------------------------------------- the path box
def test_path_check_reads_own_files_and_links_to_them(tmp_path):
    own = tmp_path / "shop.csv"
    own.write_text("Period,Customers at start\n")
    link = tmp_path / "link.csv"
    link.symlink_to(own)
    assert readable_file(str(link)) == own.resolve()
    assert readable_file(f"  {own}  ") == own.resolve()


@pytest.mark.skipif(os.getuid() != 0, reason="making another user's file needs root")
def test_path_check_never_follows_a_link_into_another_users_file(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("password\n")
    os.chown(secret, 65534, 65534)  # nobody's file
    link = tmp_path / "innocent.csv"
    link.symlink_to(secret)
    with pytest.raises(RetentionInputError, match="is a link to a file of another user"):
        readable_file(str(link))
    folder_link = tmp_path / "folder"
    folder_link.symlink_to(tmp_path)
    with pytest.raises(RetentionInputError, match="another user"):
        readable_file(str(folder_link / "secret.txt"))


@pytest.mark.parametrize("make, expected", [
    (lambda p: None, "there is no file at"),
    (lambda p: os.mkfifo(p), "is not a regular file"),
    (lambda p: p.mkdir(), "is not a regular file"),
])
def test_path_check_refuses_what_is_not_a_file(tmp_path, make, expected):
    path = tmp_path / "thing.csv"
    make(path)
    with pytest.raises(RetentionInputError, match=expected):
        readable_file(str(path))
    assert not path.exists() or not stat.S_ISREG(path.stat().st_mode)


class QuickCull(VoilaServer):
    """The app's server with the culler's clock sped up: a kernel idle for QUICK_IDLE seconds
    is culled, looked for every second. The same culling, in seconds instead of minutes."""

    def command(self) -> list[str]:
        quick = {"--MappingKernelManager.cull_idle_timeout": QUICK_IDLE,
                 "--MappingKernelManager.cull_interval": 1}
        return [f"{name}={quick[name]}" if name in quick else argument
                for argument in super().command() for name in [argument.split("=")[0]]]


QUICK_IDLE = 5


CULLING_TEST = "test_a_closed_page_gives_its_kernel_back_within_two_minutes"


@pytest.fixture(scope="module", autouse=True)
def culling_watch(request):
    """The culling watched on a QuickCull server, started with the file when the culling test
    is to run: the watch waits out idle times (a quarter of a minute in all), which now pass
    while the file's other tests run. Its test waits for it and reports what it found."""
    if not any(item.name == CULLING_TEST for item in request.session.items):
        yield None
        return
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        watch = pool.submit(_watch_a_closed_page_culled)
        try:
            yield watch
        finally:
            with contextlib.suppress(Exception):  # its test reports what went wrong
                watch.result(timeout=180)


def test_a_closed_page_gives_its_kernel_back_within_two_minutes(culling_watch):
    """A page opened and closed (no websocket left): its kernel is culled, the preloaded one kept.

    The app culls a kernel idle for CULL_IDLE_SECONDS, looked for every CULL_INTERVAL_SECONDS:
    a closed page's kernel is gone within their sum, two minutes at most. The culling itself is
    watched on a server whose clock is sped up (QuickCull), so the test takes seconds, spent
    while the file's other tests run (``culling_watch``).
    """
    from retention_xl.widgets.app import CULL_IDLE_SECONDS, CULL_INTERVAL_SECONDS

    command = VoilaServer(ROOT / "widgets").command()
    assert f"--MappingKernelManager.cull_idle_timeout={CULL_IDLE_SECONDS}" in command
    assert f"--MappingKernelManager.cull_interval={CULL_INTERVAL_SECONDS}" in command
    assert "--MappingKernelManager.cull_connected=False" in command
    assert CULL_IDLE_SECONDS + CULL_INTERVAL_SECONDS <= 120
    culling_watch.result(timeout=180)


def _watch_a_closed_page_culled() -> None:
    """What the culling test checks on a QuickCull server (AssertionError if it is not so)."""
    with QuickCull(ROOT / "widgets").start(timeout=90) as server:
        _wait_for_kernels(server, 1)
        preloaded = _kernel_pids(server)  # the page is given the preloaded kernel
        _get(server, f"/voila/render/app.ipynb?token={server.token}")  # opened, then left
        began = time.monotonic()
        while preloaded & _kernel_pids(server) and time.monotonic() - began < 60:
            time.sleep(0.5)
        # culled after QUICK_IDLE seconds idle, looked for every second; slack for a busy machine
        assert not preloaded & _kernel_pids(server) and time.monotonic() - began <= QUICK_IDLE + 1 + 10, \
            f"the page's kernel is still there after {time.monotonic() - began:.0f} s"
        # the page kept ready for the next person is there, and stays: once it has run the app
        # (Voila never culls a kept page that is ready; one still starting is Voila's bet that a
        # start is shorter than the idle time, 60 s in the app), the same kernel, through a
        # whole idle time and a look of the culler
        _wait_for_kernels(server, 1)
        wait_until_newest_kernel_idle(server, time.monotonic() + 60)
        kept = _kernel_pids(server)
        time.sleep(QUICK_IDLE + 2)
        assert _kernel_pids(server) == kept and len(kept) == 1


def _kernel_pids(app) -> set[int]:
    return {pid for pid in _descendants(app.process.pid) if "ipykernel" in _cmdline(pid)}
