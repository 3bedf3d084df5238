"""decoding.py: a page's encoding decided by the WHATWG HTML and Encoding Standards.

Cases are written from the standards' algorithms (HTML §13.2.3 "Determining the
character encoding", "prescan a byte stream", "get an attribute", "extracting a
character encoding from a meta element", "get an XML encoding"; the Encoding
Standard's label table and decoders), one or more per rule.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from citecheck.decoding import (
    PRESCAN_BYTES,
    decode,
    decode_html,
    encoding_for_label,
    header_encoding,
    meta_element_encoding,
    prescan,
    xml_declaration_encoding,
)

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
        ("text/html; charset=\"Shift_JIS\"", "shift_jis"),
        ("text/html; charset= latin1 ", "windows-1252"),  # trimmed, then the label table
        ("text/html; charset=ascii", "windows-1252"),
        ("text/html; charset=x-bogus", None),  # not a label: the prescan decides
        ("text/html; charset=utf-7", None),  # no browser decodes UTF-7
        ("text/html; charset=", None),
        ("text/html", None),
        ("text/html; foo=\"charset=koi8-r\"; charset=gbk", "gbk"),  # quoted: not a parameter
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
    ("head", "expected"),
    [
        (b'<meta charset="koi8-r">', "koi8-r"),
        (b"<META CHARSET=KOI8-R>", "koi8-r"),
        (b"<meta charset='koi8-r'>", "koi8-r"),
        (b"<meta/charset=koi8-r>", "koi8-r"),  # "/" separates like a space
        (b'<meta charset = " koi8-r ">', "koi8-r"),  # labels are trimmed
        (b'<meta http-equiv="Content-Type" content="text/html; charset=koi8-r">', "koi8-r"),
        (b'<meta content="text/html; charset=koi8-r" http-equiv="content-type">', "koi8-r"),
        (b"<meta http-equiv=content-type content='charset=\"koi8-r\"'>", "koi8-r"),
        (b'<meta http-equiv=content-type content="text/html;charset = koi8-r;x">', "koi8-r"),
        # "charset" without "=" is skipped and the search goes on.
        (b'<meta http-equiv=content-type content="charset; charset=koi8-r">', "koi8-r"),
        # The charset attribute wins over content in the same element.
        (b'<meta http-equiv=content-type content="charset=gbk" charset=koi8-r>', "koi8-r"),
        # A repeated attribute is ignored: the first value counts.
        (b"<meta charset=koi8-r charset=gbk>", "koi8-r"),
        # Other tags are read attribute by attribute; their values are no tags.
        (b"<html lang=ru><head><meta charset=koi8-r>", "koi8-r"),
        (b"<!DOCTYPE html><!-- c --><?php x ?></x><meta charset=koi8-r>", "koi8-r"),
        (b"<!--><meta charset=koi8-r>", "koi8-r"),  # "<!-->" is a whole comment
    ],
)
def test_prescan_finds_a_declaring_meta(head, expected):
    assert prescan(head) == expected


@pytest.mark.parametrize(
    "head",
    [
        pytest.param(b'<meta content="text/html; charset=koi8-r">', id="content-without-pragma"),
        pytest.param(
            b'<meta http-equiv="Content-Typ" content="text/html; charset=koi8-r">',
            id="pragma-misspelled",
        ),
        pytest.param(
            b'<meta httpequiv="content-type" content="text/html; charset=koi8-r">',
            id="http-equiv-misspelled",
        ),
        pytest.param(
            b'<meta http-equiv="refresh" content="0; charset=koi8-r">', id="other-pragma"
        ),
        pytest.param(b'<meta name="charset" content="koi8-r">', id="name-charset"),
        pytest.param(b'<meta charset="koi8-r', id="quote-never-closed"),
        pytest.param(b"<meta charset=koi8-r", id="tag-never-closed"),
        pytest.param(b'<meta http-equiv=content-type content="charset=\'koi8-r">', id="content-quote"),
        pytest.param(b"<metacharset=koi8-r>", id="no-space-after-meta"),
        pytest.param(b"<!-- <meta charset=koi8-r> -->", id="in-a-comment"),
        pytest.param(b"<div title='<meta charset=koi8-r>'>", id="in-an-attribute"),
        pytest.param(b"<meta charset=x-bogus>", id="unknown-label"),
        pytest.param(
            b'<meta charset=x-bogus http-equiv=content-type content="charset=koi8-r">',
            id="unknown-charset-rejects-the-element",
        ),
        pytest.param(b"\n<?xml version='1.0' encoding='koi8-r'?>", id="xml-declaration"),
    ],
)
def test_prescan_rejects(head):
    assert prescan(head) is None


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


def test_meta_labels_for_utf16_and_x_user_defined():
    # A page whose <meta> could be read is not UTF-16; x-user-defined means windows-1252.
    assert prescan(b"<meta charset=utf-16>") == "utf-8"
    assert prescan(b"<meta charset=utf-16be>") == "utf-8"
    assert prescan(b"<meta charset=x-user-defined>") == "windows-1252"
    assert prescan(b"<meta charset=iso-8859-1>") == "windows-1252"


def test_prescan_reads_only_the_first_1024_bytes():
    filler = b"<!-- " + b"x" * (PRESCAN_BYTES - 20) + b" -->"
    assert prescan((filler + b"<meta charset=koi8-r>")[:PRESCAN_BYTES]) is None
    body = filler + b"<meta charset=koi8-r><p>" + KOI8
    # Left to the parser: the caller's "change the encoding" (tested in test_titles).
    decoded = decode_html(body, "text/html")
    assert decoded.source == "detected" and not decoded.certain


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
    assert xml_declaration_encoding(b"<?xml encoding='utf-16'?>") == "utf-8"
    assert xml_declaration_encoding(b"<?xml encoding=koi8-r?>") is None  # unquoted
    assert xml_declaration_encoding(b"<?xml version='1.0'?><x encoding='koi8-r'>") is None


# --- 5. detection, last ------------------------------------------------------------------


def test_undeclared_utf8_is_read_as_utf8():
    assert decode_html("<p>日本語</p>".encode(), "text/html").text == "<p>日本語</p>"


def test_undeclared_legacy_bytes_are_detected():
    body = ("<p>Это тестовая страница на русском языке для проверки кодировки.</p>").encode(
        "cp1251"
    )
    assert _source(body) == ("windows-1251", "detected")


# --- labels and decoders ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "encoding"),
    [
        ("UTF8", "utf-8"),
        ("unicode-1-1-utf-8", "utf-8"),
        ("latin1", "windows-1252"),
        ("iso-8859-1", "windows-1252"),
        ("us-ascii", "windows-1252"),
        ("iso-8859-9", "windows-1254"),
        ("sjis", "shift_jis"),
        ("x-euc-jp", "euc-jp"),
        ("gb2312", "gbk"),
        ("ks_c_5601-1987", "euc-kr"),
        ("iso-2022-kr", "replacement"),
        ("unicode", "utf-16le"),
        ("utf8\x00", None),
        ("rot13", None),
        ("punycode", None),
        ("", None),
    ],
)
def test_labels_go_through_the_encoding_standard_table(label, encoding):
    assert encoding_for_label(label) == encoding


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


# --- the tree builder's rule ----------------------------------------------------------------


def test_meta_element_encoding():
    assert meta_element_encoding("koi8-r", None, None) == "koi8-r"
    assert meta_element_encoding(" KOI8-R ", None, None) == "koi8-r"
    assert meta_element_encoding(None, "Content-Type", "text/html; charset=koi8-r") == "koi8-r"
    assert meta_element_encoding(None, None, "text/html; charset=koi8-r") is None
    assert meta_element_encoding(None, "refresh", "0; charset=koi8-r") is None
    # An unknown charset leaves the pragma to decide.
    assert meta_element_encoding("bogus", "content-type", "charset=koi8-r") == "koi8-r"
    assert meta_element_encoding("utf-16le", None, None) == "utf-8"
    assert meta_element_encoding("x-user-defined", None, None) == "windows-1252"


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600) | st.lists(
    st.sampled_from([b"<meta", b" ", b"/", b"charset", b"=", b"'", b'"', b"koi8-r", b">",
                     b"<!--", b"-->", b"<", b"http-equiv", b"content", b"content-type", b"<?",
                     b"</", b"a", b";", b"\x00"]),
    max_size=40).map(b"".join))  # fmt: skip
def test_prescan_and_decoding_never_raise(head):
    found = prescan(head)
    assert found is None or encoding_for_label(found) == found
    decoded = decode_html(head, "text/html", truncated=True)
    assert isinstance(decoded.text, str)
