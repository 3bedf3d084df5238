"""Which library reads a page's declared encoding as the HTML Standard does: bs4 (what
titles.py used), w3lib, html5lib, and citecheck's own prescan.py.

    pip install -e '.[bench]'      # w3lib and html5lib
    python bench/bench_decoding_libraries.py

Each reader gets the first 1,024 bytes of a document and says what encoding the
document declares (the standard's prescan, then its XML-declaration rule); its answer
is compared with the standard's, label names normalised through the Encoding
Standard's table. The cases are one per rule of the algorithms, written for this
comparison. Then the time per call on a 1 KiB head with the <meta> at its end.
"""

from __future__ import annotations

import sys
import timeit
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import webencodings  # noqa: E402
from bs4.dammit import EncodingDetector  # noqa: E402
from html5lib._inputstream import EncodingParser  # noqa: E402
from w3lib.encoding import html_body_declared_encoding  # noqa: E402

from citecheck.prescan import prescan, xml_declaration_encoding  # noqa: E402

#: (head, what the standard declares: an Encoding Standard name or None).
CASES: list[tuple[bytes, str | None]] = [
    (b'<meta charset="koi8-r">', "koi8-r"),
    (b"<META CHARSET=KOI8-R>", "koi8-r"),
    (b"<meta/charset=koi8-r>", "koi8-r"),
    (b'<meta http-equiv="Content-Type" content="text/html; charset=koi8-r">', "koi8-r"),
    (b'<meta content="text/html; charset=koi8-r" http-equiv="content-type">', "koi8-r"),
    (b'<meta http-equiv=content-type content="text/html;charset=koi8-r;x">', "koi8-r"),
    (b'<meta http-equiv=content-type content="charset; charset=koi8-r">', "koi8-r"),
    (b'<meta http-equiv=content-type content="charset=gbk" charset=koi8-r>', "koi8-r"),
    (b"<meta charset=koi8-r charset=gbk>", "koi8-r"),
    (b"<!--><meta charset=koi8-r>", "koi8-r"),
    (b'<meta content="text/html; charset=koi8-r">', None),
    (b'<meta httpequiv="content-type" content="text/html; charset=koi8-r">', None),
    (b'<meta http-equiv="Content-Typ" content="text/html; charset=koi8-r">', None),
    (b'<meta name="charset" content="koi8-r">', None),
    (b'<meta charset="koi8-r', None),
    (b"<metacharset=koi8-r>", None),
    (b"<!-- <meta charset=gbk> --><meta charset=koi8-r>", "koi8-r"),
    (b"<a title='<meta charset=gbk>'><meta charset=koi8-r>", "koi8-r"),
    (b'<meta http-equiv="content-type content="charset=gbk"><meta charset=koi8-r>', "koi8-r"),
    (b"<meta charset=x-bogus><meta charset=koi8-r>", "koi8-r"),
    (b"<meta charset=bogus http-equiv=content-type content='charset=gbk'><meta charset=koi8-r>",
     "koi8-r"),
    (b"<meta charset=utf-16>", "utf-8"),
    (b"<meta charset=x-user-defined>", "windows-1252"),
    (b"<meta charset=iso-8859-1>", "windows-1252"),
    (b'<?xml version="1.0" encoding="koi8-r"?><p>', "koi8-r"),
    (b'<?xml version="1.0" encoding="koi8-r"?><meta charset=gbk>', "gbk"),
    (b' <?xml version="1.0" encoding="koi8-r"?><p>', None),
    (b'<p>x</p><?xml version="1.0" encoding="koi8-r"?>', None),
    (b'<?xml version="1.0"?>'.replace(b"", b"\x00")[1:], "utf-16le"),
]  # fmt: skip


def _name(label: object) -> str | None:
    if label is None:
        return None
    found = webencodings.lookup(str(getattr(label, "name", label)))
    return found.name if found is not None else f"?{label}"


def _citecheck(head: bytes) -> str | None:
    return prescan(head) or xml_declaration_encoding(head)


def _html5lib(head: bytes) -> str | None:
    found = EncodingParser(head).getEncoding()
    name = _name(found)
    return "utf-8" if name in ("utf-16be", "utf-16le") else name


READERS = {
    "bs4 find_declared_encoding (before)": lambda head: _name(
        EncodingDetector.find_declared_encoding(head, is_html=True)
    ),
    "w3lib html_body_declared_encoding": lambda head: _name(html_body_declared_encoding(head)),
    "html5lib EncodingParser": _html5lib,
    "citecheck prescan.py": _citecheck,
}


def main() -> None:
    long_head = b"<html><head>" + b"<link rel=x href=y>" * 50
    long_head = long_head[: 1024 - 25] + b'<meta charset="koi8-r">'
    print(f"{'reader':<40}{'as the standard':>16}{'µs per 1 KiB head':>20}")
    for name, reader in READERS.items():
        right = sum(1 for head, expected in CASES if reader(head) == expected)
        best = min(timeit.repeat(lambda r=reader: r(long_head), number=200, repeat=5)) / 200
        print(f"{name:<40}{right:>9} of {len(CASES)}{best * 1e6:>16.1f}")
    for name, reader in READERS.items():
        wrong = [(head, reader(head), want) for head, want in CASES if reader(head) != want]
        for head, got, want in wrong:
            print(f"  {name.split()[0]}: {head[:60]!r} -> {got} (standard: {want})")


if __name__ == "__main__":
    main()
