"""Uploads at the size limit in Debian's Chromium: a file just under MAX_UPLOAD_BYTES is read
(tornado's default 10 MiB websocket limit used to drop it without a word), a file over it gets
the sentence naming the limit and the path box, never silence.
"""

from __future__ import annotations

import pathlib
import tempfile

import pytest

from retention_xl.widgets.from_data import MAX_UPLOAD_BYTES, UPLOAD_LIMIT_TEXT, FromData, upload_too_large

SHOT = pathlib.Path(tempfile.gettempdir()) / "retention_xl_upload_too_big.png"  # looked at, not committed
HEADER = "Period,Customers at start,Customers at end,New customers\n"
ROWS = "Q1,100,90,10\nQ2,100,92,12\nQ3,104,95,9\n"


def padded_csv(path: pathlib.Path, size: int) -> pathlib.Path:
    """A valid three-quarter CSV of exactly ``size`` bytes: lines of spaces at the end (read as
    none; 1 KiB lines, read fast, unlike millions of empty lines)."""
    text = (HEADER + ROWS).encode()
    lines, rest = divmod(size - len(text), 1024)
    path.write_bytes(text + (b" " * 1023 + b"\n") * lines + b" " * rest)
    assert path.stat().st_size == size
    return path


def test_an_upload_above_the_limit_that_reaches_the_kernel_gets_the_sentence():
    widget = FromData()
    content = (HEADER + ROWS).encode() + b"\n" * MAX_UPLOAD_BYTES
    widget._read_upload([{"name": "big.csv", "content": memoryview(content)}])
    assert upload_too_large("big.csv", len(content)) in widget.message.value.replace("&quot;", '"')
    assert f"the {UPLOAD_LIMIT_TEXT} an upload can be" in widget.message.value
    assert widget.table is None


def test_the_server_takes_messages_above_the_upload_limit():
    from retention_xl.widgets.serve import websocket_message_limit

    assert MAX_UPLOAD_BYTES < websocket_message_limit() <= MAX_UPLOAD_BYTES + 8 * 2**20


@pytest.mark.browser
@pytest.mark.slow
def test_an_upload_just_under_the_limit_is_read_and_one_over_it_is_refused_with_a_sentence(tmp_path, new_app_page,
                                                                                           chromium):
    under = padded_csv(tmp_path / "just_under.csv", MAX_UPLOAD_BYTES - 1024)
    over = padded_csv(tmp_path / "too_big.csv", MAX_UPLOAD_BYTES + 2**20)
    expect = chromium.expect
    with new_app_page(1366, 1400, timeout=90_000) as page:
        expect(page.get_by_text("Retention calculator").first).to_be_visible()
        page.get_by_role("tab", name="From your data").click()
        expect(page.get_by_text("Alert:").first).to_be_visible()
        button = page.get_by_role("button", name="Upload a file").first
        expect(button).to_have_attribute("title", f"Upload a file (up to {UPLOAD_LIMIT_TEXT})")

        with page.expect_file_chooser() as chooser:
            button.click()
        chooser.value.set_files(str(under))
        expect(page.locator(".rxl-note", has_text="Showing just_under.csv")).to_be_visible(timeout=90_000)
        expect(page.locator("table.rxl-table")).to_contain_text("Q3")

        with page.expect_file_chooser() as chooser:
            button.click()
        chooser.value.set_files(str(over))
        sentence = upload_too_large("too_big.csv", over.stat().st_size)
        expect(page.get_by_role("alert").filter(has_text=sentence)).to_be_visible(timeout=30_000)
        assert "51.0 MB, more than the 50 MB" in sentence

        # far above what the server takes: refused by the page itself, before sending
        from retention_xl.widgets.serve import websocket_message_limit

        huge = padded_csv(tmp_path / "huge.csv", websocket_message_limit() + 8 * 2**20)
        with page.expect_file_chooser() as chooser:
            button.click()
        chooser.value.set_files(str(huge))
        refused = page.get_by_role("alert").filter(
            has_text=upload_too_large("huge.csv", huge.stat().st_size))
        expect(refused).to_be_visible()
        page.screenshot(path=str(SHOT))
        # refused by the page (the file never reached the kernel), said by the widget, which
        # clears what it showed before, as for any file it cannot use
        expect(page.locator(".rxl-note", has_text="Showing")).to_have_count(0)
        expect(page.locator("table.rxl-table")).to_have_count(0)
