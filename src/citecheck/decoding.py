"""Decide a page's encoding as a browser does, and decode its bytes with it.

Pure: bytes and the Content-Type header in, text out. The order is the WHATWG HTML
Standard's "determining the character encoding" (§13.2.3.2) over the WHATWG Encoding
Standard's labels and decoders:

1. a byte-order mark (UTF-8, UTF-16BE, UTF-16LE) — certain;
2. the transport layer's charset (the Content-Type header), never second-guessed — certain;
3. the prescan of the first :data:`PRESCAN_BYTES` bytes for a ``<meta>`` that declares an
   encoding (the standard's byte-level algorithm, not a pattern search) — tentative;
4. when the prescan finds none, an XML declaration at the very first byte
   (the standard's "get an XML encoding") — tentative;
5. detection: UTF-8 when the bytes are valid UTF-8, else a guess — tentative;
6. then, while the encoding is tentative, the first ``<meta>`` the parser meets as an
   element decides it ("change the encoding"): :func:`meta_element_encoding`, applied
   by the caller to the parsed document.

Labels go through the Encoding Standard's label table (``webencodings``); bytes that
are invalid in the chosen encoding become U+FFFD, and never make the encoding be
thrown away. Where Python's codecs differ from the Encoding Standard's decoders in
ways real pages show (windows-125x's unassigned bytes, EUC-JP's NEC and IBM rows,
GB18030's euro byte), the difference is repaired here.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from functools import lru_cache

import charset_normalizer
import webencodings

from .prescan import (
    PRESCAN_BYTES,
    encoding_for_label,
    meta_element_encoding,
    prescan,
    xml_declaration_encoding,
)

__all__ = [
    "PRESCAN_BYTES",
    "DecodedHTML",
    "decode",
    "decode_html",
    "detect_encoding",
    "encoding_for_label",
    "header_encoding",
    "meta_element_encoding",
    "prescan",
    "xml_declaration_encoding",
]

#: Bytes a provisional guess prescans at most, to reach a <meta> past the first 1,024:
#: a real page's head, and a bound on the prescan's time on a hostile one.
GUESS_PRESCAN_BYTES = 64 * 1024
#: Bytes given to the detector: enough to recognise a script, bounded in time.
DETECTION_BYTES = 64 * 1024

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_BE, "utf-16be"),
    (codecs.BOM_UTF16_LE, "utf-16le"),
)
#: Python's codec for an Encoding Standard encoding where webencodings' choice decodes
#: fewer bytes than the standard's decoder does (its GBK decoder is GB18030's).
_PYTHON_CODECS = {"gbk": "gb18030"}
#: Detector guesses worth believing (as codecs.lookup() names them), with the
#: Encoding Standard's name for each. Detection cannot tell the Latin code pages
#: apart on short text (it guesses cp1257 for French), but it does recognise these;
#: any other guess falls back to windows-1252, the web's legacy default.
_DETECTED = {
    "shift_jis": "shift_jis", "cp932": "shift_jis", "euc_jp": "euc-jp",
    "iso2022_jp": "iso-2022-jp", "gb2312": "gbk", "gbk": "gbk", "gb18030": "gb18030",
    "big5": "big5", "big5hkscs": "big5", "euc_kr": "euc-kr", "cp949": "euc-kr",
    "koi8-r": "koi8-r", "koi8-u": "koi8-u", "cp1251": "windows-1251", "cp1253": "windows-1253",
    "iso8859-7": "iso-8859-7", "cp1255": "windows-1255", "iso8859-8": "iso-8859-8",
    "cp1256": "windows-1256", "iso8859-6": "iso-8859-6", "tis-620": "windows-874",
    "cp874": "windows-874",
}  # fmt: skip
_ERRORS = "citecheck-whatwg"
#: A <meta> start tag that names a charset before its end: one the prescan did not
#: read may still be an element that decides. Each try stops at the next "<" or ">".
_CHARSET_META = re.compile(rb"<meta[\t\n\x0c\r /](?:[^<>c]++|c(?!harset))*+charset", re.IGNORECASE)


@dataclass(frozen=True)
class DecodedHTML:
    """A page's text and how its encoding was decided."""

    text: str
    #: The Encoding Standard's name of the encoding ("utf-8", "windows-1252", …).
    encoding: str
    #: "bom", "header", "meta", "xml-declaration", "detected", or "provisional": nothing
    #: declared in the prescan's bytes, a "<meta" further on, not yet detected (the
    #: caller looks for a <meta> element, then calls :func:`detect_encoding`).
    source: str

    @property
    def certain(self) -> bool:
        """Whether a ``<meta>`` met later may still change the encoding (it may not)."""
        return self.source in ("bom", "header") or self.encoding.startswith("utf-16")


def decode_html(body: bytes, content_type: str | None, *, truncated: bool = False) -> DecodedHTML:
    """The body decoded by steps 1–5 of the module's order.

    ``truncated`` says the body was cut off at the fetch cap: a character cut in two
    at the end is dropped rather than shown as U+FFFD.
    """
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            text = decode(body[len(bom) :], encoding, truncated=truncated)
            return DecodedHTML(text, encoding, "bom")
    declared = header_encoding(content_type)
    if declared is not None:
        return DecodedHTML(decode(body, declared, truncated=truncated), declared, "header")
    head = body[:PRESCAN_BYTES]
    declared = prescan(head)
    if declared is not None:
        return DecodedHTML(decode(body, declared, truncated=truncated), declared, "meta")
    declared = xml_declaration_encoding(head)
    if declared is not None:
        return DecodedHTML(decode(body, declared, truncated=truncated), declared, "xml-declaration")
    text = _utf8_or_none(body, truncated=truncated)
    if text is not None:
        return DecodedHTML(text, "utf-8", "detected")
    late = _CHARSET_META.search(body)
    if late is not None:
        # A <meta> element further on would decide (step 6), so detection, the slowest
        # step, waits until the caller has looked (detect_encoding). Meanwhile the
        # guess is what the prescan reads if run on to that tag, so the caller's look
        # usually confirms it and the page is decoded once.
        tag_end = body.find(b">", late.end(), GUESS_PRESCAN_BYTES)
        guess = prescan(body[: tag_end + 1]) if tag_end >= 0 else None
        guess = guess or "windows-1252"
        return DecodedHTML(decode(body, guess, truncated=truncated), guess, "provisional")
    detected = detect_encoding(body)
    return DecodedHTML(decode(body, detected, truncated=truncated), detected, "detected")


def decode(body: bytes, encoding: str, *, truncated: bool = False) -> str:
    """``body`` decoded with an Encoding Standard encoding, bad bytes as U+FFFD."""
    if encoding == "replacement":  # ISO-2022-KR and kin: unsafe to read, one U+FFFD
        return "\ufffd" if body else ""
    if encoding == "utf-8" and not truncated:  # the web's usual case, decoded in one call
        return body.decode("utf-8", _ERRORS)
    table = _single_byte_table(encoding)
    if table is not None:
        return codecs.charmap_decode(body, _ERRORS, table)[0]
    decoder = _codec_info(encoding).incrementaldecoder(_ERRORS)
    return decoder.decode(body, final=not truncated)


@lru_cache(maxsize=256)  # a run sees few distinct Content-Types, each many times
def header_encoding(content_type: str | None) -> str | None:
    """The encoding a Content-Type header's charset parameter names, or None.

    Parameters are read as the MIME Sniffing Standard parses them: a quoted value is
    one string (a ``;`` or ``charset=`` inside it is not a parameter), and the first
    charset parameter counts. A header joined from several (``a, b``) is read as
    Fetch's "extract a MIME type" reads it: the last type counts, and it keeps an
    earlier one's charset only when it is the same type without one.
    """
    if not content_type:
        return None
    charset: str | None = None
    essence: str | None = None
    for value in _split_outside_quotes(content_type, ","):
        parts = _split_outside_quotes(value, ";")
        media_type = parts[0].strip(" \t\r\n").lower()
        if "/" not in media_type or media_type == "*/*":
            continue
        parameter = next(
            (label for name, label in map(_parameter, parts[1:]) if name == "charset"), None
        )
        if media_type != essence:
            essence, charset = media_type, parameter
        elif parameter is not None:
            charset = parameter
    return encoding_for_label(charset)


# --- header parameters ----------------------------------------------------------------


def _split_outside_quotes(text: str, separator: str) -> list[str]:
    parts, current, quoted, escaped = [], [], False, False
    for character in text:
        if escaped:
            escaped = False
        elif quoted and character == "\\":
            escaped = True
        elif character == '"':
            quoted = not quoted
        elif character == separator and not quoted:
            parts.append("".join(current))
            current = []
            continue
        current.append(character)
    parts.append("".join(current))
    return parts


def _parameter(text: str) -> tuple[str, str]:
    name, _, value = text.partition("=")
    value = value.strip(" \t\r\n")
    if value.startswith('"'):
        unquoted, escaped = [], False
        for character in value[1:]:
            if escaped:
                unquoted.append(character)
                escaped = False
            elif character == "\\":
                escaped = True
            elif character == '"':
                break
            else:
                unquoted.append(character)
        value = "".join(unquoted)
    return name.strip(" \t\r\n").lower(), value


# --- detection --------------------------------------------------------------------------


def _utf8_or_none(body: bytes, *, truncated: bool) -> str | None:
    """The body as UTF-8 if every byte of it is valid UTF-8, else None."""
    try:
        return codecs.getincrementaldecoder("utf-8")("strict").decode(body, final=not truncated)
    except UnicodeDecodeError:
        return None


def detect_encoding(body: bytes) -> str:
    """The detector's guess for an undeclared legacy page: an East Asian, Cyrillic,
    Greek, Hebrew, Arabic or Thai encoding it recognises, else windows-1252."""
    best = charset_normalizer.from_bytes(body[:DETECTION_BYTES]).best()
    guess = codecs.lookup(best.encoding).name if best is not None else None
    return _DETECTED.get(guess or "", "windows-1252")


# --- decoders where Python's differ from the Encoding Standard's --------------------------


@lru_cache(maxsize=64)
def _codec_info(encoding: str) -> codecs.CodecInfo:
    if encoding in _PYTHON_CODECS:
        return codecs.lookup(_PYTHON_CODECS[encoding])
    found = webencodings.lookup(encoding)
    return found.codec_info if found is not None else codecs.lookup("windows-1252")


@lru_cache(maxsize=16)
def _single_byte_table(encoding: str) -> str | None:
    """A decoding table for windows-874 and windows-1250…1258, whose bytes that
    Python leaves unassigned in 0x80–0x9F the standard decodes as U+0080–U+009F."""
    if encoding != "windows-874" and not encoding.startswith("windows-125"):
        return None
    codec = _codec_info(encoding).name
    table = []
    for byte in range(256):
        try:
            table.append(bytes([byte]).decode(codec))
        except UnicodeDecodeError:
            table.append(chr(byte) if 0x80 <= byte <= 0x9F else "\ufffe")
    return "".join(table)


def _replace_as_the_standard_does(error: UnicodeError) -> tuple[str, int]:
    """U+FFFD for a bad byte sequence, except where the Encoding Standard decodes
    what Python's codec does not: GB18030's 0x80 (the euro sign), and EUC-JP's NEC
    and IBM rows (read through the same JIS X 0208 index as Shift_JIS's)."""
    if not isinstance(error, UnicodeDecodeError):
        raise error
    data, start = error.object, error.start
    if error.encoding == "gb18030" and data[start] == 0x80:
        return "\u20ac", start + 1
    if error.encoding == "euc_jp" and start + 1 < len(data):
        lead, trail = data[start], data[start + 1]
        if 0xA1 <= lead <= 0xFE and 0xA1 <= trail <= 0xFE:
            try:
                return _jis_to_shift_jis(lead - 0x80, trail - 0x80).decode("cp932"), start + 2
            except UnicodeDecodeError:
                return "\ufffd", start + 2
    return "\ufffd", max(error.end, start + 1)


def _jis_to_shift_jis(row_byte: int, cell_byte: int) -> bytes:
    lead = (row_byte + 1) // 2 + (0x70 if row_byte <= 0x5E else 0xB0)
    odd_row = row_byte % 2
    trail = cell_byte + (0x1F if cell_byte <= 0x5F else 0x20) if odd_row else cell_byte + 0x7E
    return bytes([lead, trail])


codecs.register_error(_ERRORS, _replace_as_the_standard_does)
