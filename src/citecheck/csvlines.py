"""A CSV file's lines as text, checked on the way: UTF-8 (a BOM dropped), no NUL.

An error names the file and the line, because the fix is always an edit there.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from .errors import InputError

_BOM = b"\xef\xbb\xbf"

#: Bytes of lines read and decoded at once by :func:`_lines` (whole lines: one longer
#: line comes whole).
_LINES_AT_ONCE = 1 << 16


def decoded_lines(path: Path, stream: BinaryIO) -> Iterator[str]:
    """The file's lines decoded, so an error can name its line.

    Read a batch of whole lines at a time: a batch without NUL that decodes as a
    whole is handed on as is (one check and one decode a batch, not a line: issue
    11); any other batch goes through :func:`_checked_lines` for its error's line."""
    number = 0
    while batch := stream.readlines(_LINES_AT_ONCE):
        if number == 0 and batch[0].startswith(_BOM):
            batch[0] = batch[0][len(_BOM) :]
        raw = b"".join(batch)
        if b"\x00" not in raw:
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                pass
            else:
                # Lines as the bytes were split (at b"\n" only), not str.splitlines,
                # which would also split at U+2028 and the like inside a line.
                lines = text.split("\n")
                last = lines.pop()  # "" after a final b"\n", else the file's last line
                yield from [line + "\n" for line in lines]
                if last:
                    yield last
                number += len(batch)
                continue
        yield from _checked_lines(path, batch, number)
        number += len(batch)


def _checked_lines(path: Path, batch: list[bytes], before: int) -> Iterator[str]:
    """``batch``'s lines decoded one at a time (lines ``before`` + 1 on): the first
    with a NUL byte or not UTF-8 is refused, naming its line."""
    for number, raw in enumerate(batch, start=before + 1):
        if b"\x00" in raw:
            raise InputError(f"{path}: line {number}: contains a NUL byte (is it a CSV file?)")
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(
                f"{path}: line {number}: not UTF-8 (byte 0x{raw[exc.start]:02x}); "
                "save the file as UTF-8"
            ) from exc
