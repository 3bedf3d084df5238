"""prescan.py: where a document declares its encoding, by the HTML Standard's
byte-level algorithms ("prescan a byte stream", "get an attribute", "extracting a
character encoding from a meta element", "get an XML encoding", the tree builder's
rule for <meta>) and the Encoding Standard's label table. Cases written from those
algorithms' steps.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from citecheck.decoding import decode_html
from citecheck.prescan import (
    encoding_for_label,
    meta_element_encoding,
    prescan,
    xml_declaration_encoding,
)


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
        pytest.param(b'<meta http-equiv="refresh" content="0; charset=koi8-r">', id="other-pragma"),
        pytest.param(b'<meta name="charset" content="koi8-r">', id="name-charset"),
        pytest.param(b'<meta charset="koi8-r', id="quote-never-closed"),
        pytest.param(b"<meta charset=koi8-r", id="tag-never-closed"),
        pytest.param(
            b'<meta http-equiv=content-type content="charset=\'koi8-r">', id="content-quote"
        ),
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


def test_meta_labels_for_utf16_and_x_user_defined():
    # A page whose <meta> could be read is not UTF-16; x-user-defined means windows-1252.
    assert prescan(b"<meta charset=utf-16>") == "utf-8"
    assert prescan(b"<meta charset=utf-16be>") == "utf-8"
    assert prescan(b"<meta charset=x-user-defined>") == "windows-1252"
    assert prescan(b"<meta charset=iso-8859-1>") == "windows-1252"


def test_xml_declaration_encoding():
    assert xml_declaration_encoding(b"<?xml encoding='utf-16'?>") == "utf-8"
    assert xml_declaration_encoding(b"<?xml encoding=koi8-r?>") is None  # unquoted
    assert xml_declaration_encoding(b"<?xml version='1.0'?><x encoding='koi8-r'>") is None
    assert xml_declaration_encoding(b'<?xml version="1.0" encoding="koi8-r"?>') == "koi8-r"
    assert xml_declaration_encoding(b' <?xml version="1.0" encoding="koi8-r"?>') is None


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
