"""A .docx package read through limits: broken packages are InputErrors naming what
is wrong, never a traceback."""

from __future__ import annotations

import zipfile
from pathlib import Path

import docx
import pytest

from citecheck.errors import InputError
from citecheck.extract import _ooxml, extract_docx


def _package(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as package:
        for name, data in members.items():
            package.writestr(name, data)
    return path


def _members(tmp_path: Path) -> dict[str, bytes]:
    template = tmp_path / "template.docx"
    document = docx.Document()
    document.add_paragraph("See https://example.org/a.")
    document.save(str(template))
    with zipfile.ZipFile(template) as package:
        return {name: package.read(name) for name in package.namelist()}


def test_a_real_document_is_read(tmp_path: Path) -> None:
    path = _package(tmp_path / "ok.docx", _members(tmp_path))
    assert [c.url for c in extract_docx(path, "ok.docx").citations] == ["https://example.org/a"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda m: m.pop("[Content_Types].xml"), r"has no \[Content_Types\].xml"),
        (lambda m: m.pop("word/document.xml"), "no word/document.xml"),
        (lambda m: m.update({"_rels/.rels": b"<not xml"}), "_rels/.rels is not well-formed"),
        (lambda m: m.update({"word/document.xml": b"<w:document"}), "not well-formed"),
        (
            lambda m: m.update(
                {
                    "_rels/.rels": b'<Relationships xmlns="http://schemas.openxmlformats.org/'
                    b'package/2006/relationships"/>'
                }
            ),
            "has no main document",
        ),
    ],
)
def test_a_broken_package_is_an_input_error(tmp_path: Path, change, message: str) -> None:
    members = _members(tmp_path)
    change(members)
    path = _package(tmp_path / "broken.docx", members)
    with pytest.raises(InputError, match=message):
        extract_docx(path, "broken.docx")


def test_entities_are_not_expanded(tmp_path: Path) -> None:
    """A billion-laughs document.xml: entities are not resolved, so it costs nothing."""
    members = _members(tmp_path)
    laughs = (
        b'<!DOCTYPE d [<!ENTITY a "https://example.org/lol ">'
        + b"".join(
            b'<!ENTITY %s "%s">' % (bytes([98 + n]), (b"&" + bytes([97 + n]) + b";") * 10)
            for n in range(8)
        )
        + b"]>"
    )
    body = members["word/document.xml"]
    members["word/document.xml"] = body.replace(b"?>", b"?>" + laughs, 1).replace(
        b"See https://example.org/a.", b"&i;"
    )
    path = _package(tmp_path / "laughs.docx", members)
    try:
        citations = extract_docx(path, "laughs.docx").citations
    except InputError:
        return
    assert len(citations) < 10


def test_too_many_members_is_refused_before_reading_the_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_ooxml, "MAX_DOCX_MEMBERS", 5)
    members = _members(tmp_path)
    members.update({f"word/media/image{n}.png": b"x" for n in range(10)})
    path = _package(tmp_path / "many.docx", members)
    with pytest.raises(InputError, match=r"lists \d+ members, more than a Word document has \(5\)"):
        extract_docx(path, "many.docx")


def test_a_long_chain_of_parts_is_walked_without_recursion(tmp_path: Path) -> None:
    members = _members(tmp_path)
    rel_type = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/x"
    rels = b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    for n in range(3000):
        target = f"part{n + 1}.xml".encode()
        members[f"word/_rels/part{n}.xml.rels"] = (
            rels
            + b'<Relationship Id="r1" Type="%s" Target="%s"/></Relationships>'
            % (rel_type.encode(), target)
        )
        members[f"word/part{n}.xml"] = b"<x/>"
    document_rels = members["word/_rels/document.xml.rels"]
    members["word/_rels/document.xml.rels"] = document_rels.replace(
        b"</Relationships>",
        b'<Relationship Id="rChain" Type="%s" Target="part0.xml"/></Relationships>'
        % rel_type.encode(),
    )
    path = _package(tmp_path / "chain.docx", members)
    assert [c.url for c in extract_docx(path, "chain.docx").citations] == ["https://example.org/a"]
