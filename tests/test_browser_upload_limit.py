"""Uploads at the size limit: a file over MAX_UPLOAD_BYTES that reaches the kernel gets the
sentence, and the server takes websocket messages above the limit (tornado's default 10 MiB
used to drop them without a word). The same in Debian's Chromium, files just under and over
the limit: tests/test_browser_upload.py.
"""

from __future__ import annotations

from retention_xl.widgets.from_data import MAX_UPLOAD_BYTES, UPLOAD_LIMIT_TEXT, FromData, upload_too_large

HEADER = "Period,Customers at start,Customers at end,New customers\n"
ROWS = "Q1,100,90,10\nQ2,100,92,12\nQ3,104,95,9\n"


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
