"""decoded_lines: the batched fast path must give what line-by-line decoding gives."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from citecheck import csvlines
from citecheck.csvlines import _checked_lines, decoded_lines
from citecheck.errors import InputError

PATH = Path("sources.csv")


def _plain(data: bytes) -> list[str]:
    """Line by line, as the plain path reads (BOM dropped from the first line)."""
    batch = io.BytesIO(data).readlines()
    if batch and batch[0].startswith(b"\xef\xbb\xbf"):
        batch[0] = batch[0][3:]
    return list(_checked_lines(PATH, batch, 0))


CASES = [
    b"",
    b"url\n",
    b"url",
    b"\xef\xbb\xbfurl,cited_in\r\nhttp://a.test/,d.md:1\r\n",
    b'url,title\nhttp://a.test/,"two\nlines"\nhttp://b.test/,last',
    "url,title\nhttp://a.test/,t\u2028itle\u0085\x0c\x1c\nhttp://b/,x\n".encode(),
    b"url\n\n\n  \nhttp://a.test/\n\n",
    "url,title\nhttp://a.test/,caf\u00e9 \u2603\n".encode() * 3,
]


@pytest.mark.parametrize("data", CASES)
@pytest.mark.parametrize("batch_bytes", [1, 7, 1 << 16])
def test_batches_give_the_lines_read_one_at_a_time(
    data: bytes, batch_bytes: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(csvlines, "_LINES_AT_ONCE", batch_bytes)
    assert list(decoded_lines(PATH, io.BytesIO(data))) == _plain(data)


def _lines_until_error(data: bytes) -> tuple[list[str], str]:
    read: list[str] = []
    with pytest.raises(InputError) as caught:
        for line in decoded_lines(PATH, io.BytesIO(data)):
            read.append(line)
    return read, str(caught.value)


@pytest.mark.parametrize(
    ("bad", "message"),
    [(b"http://a.test/\x00\n", "contains a NUL byte"), (b"http://a.test/\xff\n", "not UTF-8")],
)
def test_an_error_in_a_later_batch_names_its_line_after_the_lines_before(
    bad: bytes, message: str
) -> None:
    good = b"".join(b"http://a.test/%d\n" % i for i in range(9000))  # > one batch
    read, error = _lines_until_error(b"url\n" + good + bad + b"http://b.test/\n")
    assert error == f"{PATH}: line 9002: {message}" + error.split(message, 1)[1]
    assert len(read) == 9001  # every line before the bad one was handed on first


def test_a_bom_is_dropped_from_the_first_line_only() -> None:
    data = b"\xef\xbb\xbfurl\n\xef\xbb\xbfhttp://a.test/\n"
    assert list(decoded_lines(PATH, io.BytesIO(data))) == ["url\n", "\ufeffhttp://a.test/\n"]
