"""decoding.py: a page's encoding decided by the WHATWG HTML and Encoding Standards.

Cases are written from the standards' algorithms (HTML §13.2.3 "Determining the
character encoding", "prescan a byte stream", "get an attribute", "extracting a
character encoding from a meta element", "get an XML encoding"; the Encoding
Standard's label table and decoders), one or more per rule.
"""

from __future__ import annotations

import pytest

from citecheck.decoding import decode, decode_html, header_encoding
from citecheck.prescan import PRESCAN_BYTES, prescan

KOI8 = "Новости дня".encode("koi8-r")  # windows-1251 reads these bytes differently
CP1251 = "Новости дня".encode("cp1251")


def _source(body: bytes, content_type: str | None = "text/html") -> tuple[str, str]:
    decoded = decode_html(body, content_type)
    return decoded.encoding, decoded.source


# --- 1. byte-order marks ------------------------------------------------------------


@pytest.mark.parametrize(
    ("bom", "encoding", "python_codec"),
    [
        (b"\xef\xbb\xbf", "utf-8", "utf-8"),
        (b"\xfe\xff", "utf-16be", "utf-16-be"),
        (b"\xff\xfe", "utf-16le", "utf-16-le"),
    ],
)
def test_a_byte_order_mark_wins_over_header_and_meta(bom, encoding, python_codec):
    body = bom + '<meta charset="koi8-r"><title>Zürich</title>'.encode(python_codec)
    decoded = decode_html(body, "text/html; charset=windows-1251")
    assert (decoded.encoding, decoded.source) == (encoding, "bom")
    assert decoded.text == '<meta charset="koi8-r"><title>Zürich</title>'  # BOM stripped
    assert decoded.certain


# --- 2. the transport layer -----------------------------------------------------------


def test_the_header_charset_wins_over_meta():
    body = b'<meta charset="koi8-r"><title>' + CP1251 + b"</title>"
    decoded = decode_html(body, "text/html; charset=windows-1251")
    assert decoded.encoding == "windows-1251" and decoded.certain
    assert "Новости дня" in decoded.text


def test_a_header_charset_is_never_overridden_by_valid_utf8():
    decoded = decode_html("<p>naïve</p>".encode(), "text/html; charset=iso-8859-1")
    assert decoded.encoding == "windows-1252"
    assert decoded.text == "<p>naÃ¯ve</p>"


def test_a_few_invalid_bytes_do_not_discard_a_declared_charset():
    text = "個人情報保護委員会の発表"
    # 0xFF is no lead byte; 0xA1 leads, but an ASCII byte is no trail and is kept.
    body = text[:4].encode("euc_jp") + b"\xff" + text[4:8].encode("euc_jp") + b"\xa1A"
    body += text[8:].encode("euc_jp")
    for content_type, body_ in (
        ("text/html; charset=EUC-JP", body),
        ("text/html", b'<meta charset="euc-jp">' + body),
    ):
        decoded = decode_html(body_, content_type)
        assert decoded.encoding == "euc-jp"
        assert decoded.text.endswith(text[:4] + "\ufffd" + text[4:8] + "\ufffdA" + text[8:])


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [
        ("text/html; charset=utf-8", "utf-8"),
        ("text/html;charset=UTF-8", "utf-8"),
        ('text/html; charset="Shift_JIS"', "shift_jis"),
        ("text/html; charset= latin1 ", "windows-1252"),  # trimmed, then the label table
        ("text/html; charset=ascii", "windows-1252"),
        ("text/html; charset=x-bogus", None),  # not a label: the prescan decides
        ("text/html; charset=utf-7", None),  # no browser decodes UTF-7
        ("text/html; charset=", None),
        ("text/html", None),
        ('text/html; foo="charset=koi8-r"; charset=gbk', "gbk"),  # quoted: not a parameter
        ("text/html; charset=koi8-r; charset=utf-8", "koi8-r"),  # the first one counts
        ("text/plain; charset=koi8-r, text/html", None),  # Fetch: a new type drops it
        ("text/html; charset=koi8-r, text/html", "koi8-r"),  # the same type keeps it
        ("text/html; charset=utf-16", "utf-16le"),  # honoured as UTF-16 from the header
        ("text/html; charset=x-user-defined", "x-user-defined"),
    ],
)
def test_header_charset_parameter(content_type, expected):
    assert header_encoding(content_type) == expected


def test_an_unknown_header_label_leaves_the_decision_to_the_prescan():
    body = b'<meta charset="koi8-r"><p>' + KOI8
    assert _source(body, "text/html; charset=x-bogus") == ("koi8-r", "meta")


def test_utf16_and_x_user_defined_from_the_header_decode_as_named():
    assert decode_html("<p>ü</p>".encode("utf-16-le"), "text/html; charset=utf-16").text == (
        "<p>ü</p>"
    )
    decoded = decode_html(b"<p>\x80\xff</p>", "text/html; charset=x-user-defined")
    assert decoded.text == "<p>\uf780\uf7ff</p>"


# --- 3. the prescan -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("decoy", "case"),
    [
        (b"<!-- <meta charset=gbk> -->", "comment"),
        (b"<a title='<meta charset=gbk>'>x</a>", "attribute value"),
        (b'<meta content="text/html; charset=gbk">', "content without pragma"),
        (b'<meta http-equiv="content-type content="text/html; charset=gbk">', "broken quotes"),
        (b"<meta charset=x-bogus>", "unknown label"),
    ],
)
def test_a_rejected_meta_does_not_hide_the_real_one(decoy, case):
    body = b"<head>" + decoy + b'<meta charset="koi8-r"></head><p>' + KOI8
    decoded = decode_html(body, "text/html")
    assert (decoded.encoding, decoded.source) == ("koi8-r", "meta"), case
    assert decoded.text.endswith("Новости дня")


def test_prescan_reads_only_the_first_1024_bytes():
    filler = b"<!-- " + b"x" * (PRESCAN_BYTES - 20) + b" -->"
    assert prescan((filler + b"<meta charset=koi8-r>")[:PRESCAN_BYTES]) is None
    body = filler + b"<meta charset=koi8-r><p>" + KOI8
    # Left to the parser: the caller's "change the encoding" (tested in test_titles).
    decoded = decode_html(body, "text/html")
    assert decoded.source == "provisional" and not decoded.certain


def test_utf16_without_a_bom_is_found_by_its_xml_declaration():
    body = '<?xml version="1.0"?><p>ü</p>'
    assert _source(body.encode("utf-16-le")) == ("utf-16le", "meta")
    assert _source(body.encode("utf-16-be")) == ("utf-16be", "meta")
    assert decode_html(body.encode("utf-16-le"), None).text == body


# --- 4. an XML declaration at the first byte --------------------------------------------


def test_an_xml_declaration_counts_only_at_the_first_byte_and_only_without_meta():
    xml = b'<?xml version="1.0" encoding="koi8-r"?>'
    assert _source(xml + b"<p>" + KOI8) == ("koi8-r", "xml-declaration")
    assert _source(xml + b"<meta charset=windows-1251><p>" + CP1251) == ("windows-1251", "meta")
    assert _source(b" " + xml + b"<p>" + KOI8)[1] == "detected"
    assert _source(b"\n" + xml + b"<p>" + KOI8)[1] == "detected"


# --- 5. detection, last ------------------------------------------------------------------


def test_undeclared_utf8_is_read_as_utf8():
    assert decode_html("<p>日本語</p>".encode(), "text/html").text == "<p>日本語</p>"


def test_undeclared_legacy_bytes_are_detected():
    body = ("<p>Это тестовая страница на русском языке для проверки кодировки.</p>").encode(
        "cp1251"
    )
    assert _source(body) == ("windows-1251", "detected")


# --- labels and decoders ----------------------------------------------------------------


def test_decoders_match_the_encoding_standard():
    # windows-1252 decodes every byte: its unassigned ones to the C1 controls.
    assert decode(b"\x80\x81\x8d\x9f", "windows-1252") == "€\x81\x8dŸ"
    assert decode(b"\x81", "windows-1250") == "\x81"
    # GB18030's lone 0x80 is the euro sign (GBK compatibility); gbk uses that decoder.
    assert decode(b"\x80", "gb18030") == decode(b"\x80", "gbk") == "€"
    assert decode("中文".encode("gb18030"), "gbk") == "中文"
    # EUC-JP reads the NEC row 13 and IBM rows through the same index as Shift_JIS.
    assert decode(b"\xad\xa1\xad\xb4\xad\xb5", "euc-jp") == "①⑳Ⅰ"
    assert decode(b"\xf9\xa1", "euc-jp") == "纊"
    # Shift_JIS is Windows-31J; EUC-KR is windows-949; Big5 includes HKSCS.
    assert decode(b"\x87\x40", "shift_jis") == "①"
    assert decode("똠".encode("cp949"), "euc-kr") == "똠"
    # The replacement encoding reads any input as one U+FFFD.
    assert decode(b"\x1b$)Cabc", "replacement") == "\ufffd"
    assert decode(b"", "replacement") == ""


def test_a_truncated_body_drops_the_character_cut_in_two():
    assert decode("aü".encode()[:-1], "utf-8", truncated=True) == "a"
    assert decode("aü".encode()[:-1], "utf-8") == "a\ufffd"
    assert decode("a日".encode("cp932")[:-1], "shift_jis", truncated=True) == "a"
