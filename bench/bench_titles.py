"""What reading a page (titles.page_info: decoding, parsing, title and text) costs, by how
the page declares its encoding.

    python bench/bench_titles.py

Pure CPU, no network: each page is read many times and the best of 5 rounds is
reported (the least disturbed by other load), in microseconds per page. The pages are
100 KiB articles, the size of a typical news page, declared in each of the ways the
decoding order (README, "How a page's encoding is decided") distinguishes.
"""

from __future__ import annotations

import sys
import timeit
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from citecheck.titles import page_info  # noqa: E402

ROUNDS = 5
SIZE = 100 * 1024


def _article(head: str, text: str, encoding: str) -> bytes:
    paragraph = f"<p>{text}</p>"
    start = f"<!DOCTYPE html><html><head>{head}<title>{text[:40]}</title></head><body><h1>x</h1>"
    count = max(1, (SIZE - len(start.encode(encoding))) // len(paragraph.encode(encoding)))
    return (start + paragraph * count + "</body></html>").encode(encoding)


_FRENCH = "Les élèves ont coûté 5 € à la régie — « déjà vu », dit-elle. " * 2
_JAPANESE = "日本語のページです。個人情報保護委員会は警察の顔認識アプリの使用を違法と判断した。"
_FILLER = "<script>var x = 1;</script>" * 60  # pushes a declaration past 1,024 bytes

PAGES = [
    ("utf-8, header", _article("", _FRENCH, "utf-8"), "text/html; charset=utf-8"),
    ("utf-8, <meta charset>", _article('<meta charset="utf-8">', _FRENCH, "utf-8"), "text/html"),
    ("utf-8 BOM", b"\xef\xbb\xbf" + _article("", _FRENCH, "utf-8"), "text/html"),
    ("windows-1252, header", _article("", _FRENCH, "cp1252"), "text/html; charset=iso-8859-1"),
    (
        "shift_jis, http-equiv",
        _article(
            '<meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS">',
            _JAPANESE,
            "cp932",
        ),
        "text/html",
    ),
    ("utf-8, undeclared", _article("", _FRENCH, "utf-8"), "text/html"),
    ("windows-1252, undeclared", _article("", _FRENCH, "cp1252"), "text/html"),
    (
        "euc-jp, <meta> after 1,024 bytes",
        _article(_FILLER + '<meta charset="euc-jp">', _JAPANESE, "euc_jp"),
        "text/html",
    ),
]


def main() -> None:
    print(f"{'page (100 KiB)':<36}{'page_info':>12}")
    for name, body, content_type in PAGES:
        headers = {"content-type": content_type}
        page_info(body, headers)
        number = 20
        best = min(
            timeit.repeat(lambda b=body, h=headers: page_info(b, h), number=number, repeat=ROUNDS)
        )
        print(f"{name:<36}{best / number * 1e6:>10.0f}µs")


if __name__ == "__main__":
    main()
