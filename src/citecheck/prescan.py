"""Where an HTML document declares its encoding, read as the HTML Standard reads it.

Pure, byte-level: the standard's "prescan a byte stream to determine its encoding"
(with its "get an attribute" and "extracting a character encoding from a meta
element"), "get an XML encoding", and the tree builder's rule for a ``<meta>`` met
while the encoding is tentative. Labels go through the Encoding Standard's table.
decoding.py puts these in the standard's order.

Why not a library's: w3lib's ``html_body_declared_encoding`` searches with patterns
(it honours a misspelled ``http-equiv`` and an XML declaration anywhere), and
html5lib's ``EncodingParser`` stops at a ``<meta>`` whose label is unknown and reads
``content`` differently; bench/bench_decoding_libraries.py measures both against the
cases in tests/test_prescan.py.
"""

from __future__ import annotations

import re

import webencodings

#: Bytes the prescan reads: the standard encourages 1,024, and Firefox and Chromium
#: prescan that many. A ``<meta>`` further on still counts when the parser meets it
#: (:func:`meta_element_encoding`), as in browsers.
PRESCAN_BYTES = 1024

_SKIP_SPACE = re.compile(rb"[\t\n\x0c\r ]*")
_SKIP_SPACE_SLASH = re.compile(rb"[\t\n\x0c\r /]*")
_NAME_REST = re.compile(rb"[^=\t\n\x0c\r />]*")
_UNQUOTED_VALUE = re.compile(rb"[^\t\n\x0c\r >]*")
_TAG_NAME = re.compile(rb"[^\t\n\x0c\r >]*")
_SKIP_BELOW_SPACE = re.compile(rb"[\x00-\x20]*")
#: A tag's attributes in the shape nearly all pages write them (word names; values
#: quoted, or unquoted without quotes), up to the ">": where the standard's "get an
#: attribute", called until there are none, would stop too. Other shapes take the
#: step-by-step path. Possessive and atomic, so a failed match never backtracks.
_PLAIN_ATTRIBUTES = re.compile(
    rb"(?:[\t\n\x0c\r /]++(?:[A-Za-z_:][-\w.:]*+(?:[\t\n\x0c\r ]*+=[\t\n\x0c\r ]*+"
    rb"(?:\"[^\"]*+\"|'[^']*+'|[^\t\n\x0c\r >\"'=<`]++))?)?)*+[\t\n\x0c\r /]*+>"
)
#: A run of what the prescan steps over without a decision: text, comments, ``<!``,
#: ``<?`` and ``</`` constructs, and tags other than ``<meta`` with plain attributes.
#: One C-level match instead of a Python step per byte or attribute; what it stops
#: at (a ``<meta``, another shape, the end) the steps below take.
_SKIPPABLE = re.compile(
    rb"(?:[^<]++"
    rb"|<!--(?:>|->|.*?-->)"
    rb"|</?(?![Mm][Ee][Tt][Aa][\t\n\x0c\r /])[A-Za-z][^\t\n\x0c\r >]*+"
    + _PLAIN_ATTRIBUTES.pattern
    + rb"|</(?![A-Za-z])[^>]*+>|<!(?!--)[^>]*+>|<\?[^>]*+>"
    rb"|<(?![A-Za-z/!?]))*+",
    re.DOTALL,
)


def encoding_for_label(label: str | bytes | None) -> str | None:
    """The Encoding Standard's "get an encoding": the encoding a label names, or None."""
    if isinstance(label, bytes):
        try:
            label = label.decode("ascii")
        except UnicodeDecodeError:
            return None
    if not label:
        return None
    encoding = webencodings.lookup(label)
    return encoding.name if encoding is not None else None


def prescan(head: bytes) -> str | None:
    """The encoding the first declaring ``<meta>`` in ``head`` names, by the HTML
    Standard's "prescan a byte stream to determine its encoding".

    ``head`` is all the prescan reads: running out of it anywhere, even inside a
    ``<meta>``, ends the scan with no answer. A ``<meta>`` counts only with a
    ``charset`` attribute, or with a ``content`` whose ``charset=`` names an encoding
    *and* ``http-equiv="content-type"``; one whose label names no encoding is passed
    over for the next. Comments and other tags (their attribute values included) are
    skipped whole, so a ``<meta>`` written inside them is not one.
    """
    if head.startswith(b"<\x00?\x00x\x00"):
        return "utf-16le"
    if head.startswith(b"\x00<\x00?\x00x"):
        return "utf-16be"
    try:
        return _prescan_tags(head)
    except _OutOfBytes:
        return None


def xml_declaration_encoding(head: bytes) -> str | None:
    """The HTML Standard's "get an XML encoding": what an XML declaration at the very
    first byte names, read only when the prescan found no ``<meta>``.

    After a blank line or anything else, ``<?xml`` is a processing instruction to an
    HTML parser and declares nothing.
    """
    if not head.startswith(b"<?xml"):
        return None
    end = head.find(b">")
    if end < 0:
        return None
    position = head.find(b"encoding", 0, end)
    if position < 0:
        return None
    position = _SKIP_BELOW_SPACE.match(head, position + len(b"encoding"), end).end()
    if head[position : position + 1] != b"=":
        return None
    position = _SKIP_BELOW_SPACE.match(head, position + 1, end).end()
    quote = head[position : position + 1]
    if quote not in (b'"', b"'"):
        return None
    close = head.find(quote, position + 1, end)
    if close < 0:
        return None
    encoding = encoding_for_label(head[position + 1 : close])
    return "utf-8" if encoding in ("utf-16be", "utf-16le") else encoding


def meta_element_encoding(
    charset: str | None, http_equiv: str | None, content: str | None
) -> str | None:
    """The encoding a ``<meta>`` element the parser meets declares, or None: the
    tree builder's rule, applied while the encoding is tentative.

    Its ``charset`` counts when it names an encoding; else a ``content`` with
    ``charset=`` counts beside ``http-equiv="Content-Type"``.
    """
    encoding = encoding_for_label(charset) if charset is not None else None
    pragma = http_equiv is not None and http_equiv.lower() == "content-type"
    if encoding is None and pragma and content is not None:
        encoding = _content_charset(content.lower().encode("utf-8", "replace"))
    return _as_declared(encoding)


class _OutOfBytes(Exception):
    """The prescan ran past the end of what it reads: it ends without an answer."""


def _prescan_tags(head: bytes) -> str | None:
    if b"<meta" not in head.lower():
        return None  # only a <meta> declares: nothing to find
    position = 0
    while True:
        position = _SKIPPABLE.match(head, position).end()
        position = head.find(b"<", position)
        if position < 0:
            return None
        if head.startswith(b"<!--", position):
            # The "-->" may share its dashes with "<!--": "<!-->" is a whole comment.
            position = _find(head, b"-->", position + 2) + 2
        elif head[position + 1 : position + 5].lower() == b"meta" and (
            head[position + 5 : position + 6] in (b"\t", b"\n", b"\x0c", b"\r", b" ", b"/")
        ):
            position, encoding = _meta(head, position + 5)
            if encoding is not None:
                return encoding
        elif _starts_tag(head, position):
            start = position + (2 if head[position + 1] == 0x2F else 1)
            position = _TAG_NAME.match(head, start).end()
            if position >= len(head):
                raise _OutOfBytes
            plain = _PLAIN_ATTRIBUTES.match(head, position)
            if plain is not None:
                position = plain.end() - 1
            else:
                while (attribute := _attribute(head, position))[0] is not None:
                    position = attribute[2]
                position = attribute[2]
        elif head[position + 1 : position + 2] in (b"!", b"/", b"?"):
            position = _find(head, b">", position + 1)
        position += 1


def _starts_tag(head: bytes, position: int) -> bool:
    following = head[position + 1 : position + 3]
    if following[:1] == b"/":
        following = following[1:]
    return following[:1].isalpha() and following[:1].isascii()


def _meta(head: bytes, position: int) -> tuple[int, str | None]:
    """Read one ``<meta>``'s attributes from ``position``: where the scan goes on, and
    the encoding the element declares (None if it declares none)."""
    seen: set[bytes] = set()
    got_pragma = False
    need_pragma: bool | None = None
    charset: str | None = None
    charset_failed = False
    while True:
        name, value, position = _attribute(head, position)
        if name is None:
            break
        if name in seen:
            continue
        seen.add(name)
        if name == b"http-equiv":
            got_pragma = got_pragma or value == b"content-type"
        elif name == b"content":
            found = _content_charset(value)
            if found is not None and charset is None and not charset_failed:
                charset, need_pragma = found, True
        elif name == b"charset":
            charset = encoding_for_label(value)
            charset_failed = charset is None
            need_pragma = False
    if need_pragma is None or (need_pragma and not got_pragma) or charset is None:
        return position, None
    return position, _as_declared(charset)


def _attribute(head: bytes, position: int) -> tuple[bytes | None, bytes, int]:
    """The standard's "get an attribute": (name, value, position after it), with a
    None name and the position of the ``>`` when the tag has no more attributes."""
    end = len(head)
    position = _SKIP_SPACE_SLASH.match(head, position).end()
    if position >= end:
        raise _OutOfBytes
    if head[position] == 0x3E:  # ">"
        return None, b"", position
    # The first byte is the name's even when it is "=".
    name_start = position
    position = _NAME_REST.match(head, position + 1).end()
    name = head[name_start:position]
    if position >= end:
        raise _OutOfBytes
    byte = head[position]
    if byte in b"/>":
        return name.lower(), b"", position
    if byte != 0x3D:  # white space: the "=" may follow it
        position = _SKIP_SPACE.match(head, position).end()
        if position >= end:
            raise _OutOfBytes
        if head[position] != 0x3D:
            return name.lower(), b"", position
    position = _SKIP_SPACE.match(head, position + 1).end()
    if position >= end:
        raise _OutOfBytes
    byte = head[position]
    if byte in b"\"'":
        close = _find(head, bytes([byte]), position + 1)
        return name.lower(), head[position + 1 : close].lower(), close + 1
    if byte == 0x3E:
        return name.lower(), b"", position
    value_end = _UNQUOTED_VALUE.match(head, position + 1).end()
    if value_end >= end:
        raise _OutOfBytes
    return name.lower(), head[position:value_end].lower(), value_end


def _content_charset(value: bytes) -> str | None:
    """The standard's "extracting a character encoding from a meta element", over a
    lower-cased ``content`` value."""
    position = 0
    while True:
        position = value.find(b"charset", position)
        if position < 0:
            return None
        position = _SKIP_SPACE.match(value, position + len(b"charset")).end()
        if value[position : position + 1] == b"=":
            break
    position = _SKIP_SPACE.match(value, position + 1).end()
    first = value[position : position + 1]
    if first in (b'"', b"'"):
        close = value.find(first, position + 1)
        return encoding_for_label(value[position + 1 : close]) if close >= 0 else None
    if not first:
        return None
    end = position
    while end < len(value) and value[end] not in b"\t\n\x0c\r ;":
        end += 1
    return encoding_for_label(value[position:end])


def _as_declared(encoding: str | None) -> str | None:
    """What a ``<meta>``'s encoding means: a document whose ``<meta>`` could be read
    is not UTF-16, and x-user-defined is read as windows-1252."""
    if encoding in ("utf-16be", "utf-16le"):
        return "utf-8"
    if encoding == "x-user-defined":
        return "windows-1252"
    return encoding


def _find(data: bytes, needle: bytes, start: int) -> int:
    found = data.find(needle, start)
    if found < 0:
        raise _OutOfBytes
    return found
