"""Hostile documents given to ``extract`` and ``fix``: bombs and files past the
limits get a clear error naming the file (and the zip member), exit code 2, no
traceback, and nothing is written. Every bomb is made here, small on disk."""

from __future__ import annotations

import struct
import zipfile
import zlib
from pathlib import Path

import docx
from clirunner import CLI

from citecheck.extract._limits import MAX_DOCX_MEMBER_BYTES

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def _pdf_object_stream_bomb(expanded_bytes: int) -> bytes:
    """A PDF whose page's link annotation sits in an object stream that inflates
    to ``expanded_bytes`` (a few hundred KB on disk)."""
    annotation = (
        b"<< /Type /Annot /Subtype /Link /Rect [0 0 10 10]"
        b" /A << /S /URI /URI (https://example.org/) >> >>"
    )
    header = b"5 0 "
    compressor = zlib.compressobj(9)
    stream = compressor.compress(header + annotation)
    padding = b" " * 2**20
    for _ in range(expanded_bytes // len(padding)):
        stream += compressor.compress(padding)
    stream += compressor.flush()
    out = bytearray(b"%PDF-1.7\n")
    offsets: dict[int, int] = {}

    def add(number: int, body: bytes) -> None:
        offsets[number] = len(out)
        out.extend(b"%d 0 obj\n%s\nendobj\n" % (number, body))

    add(1, b"<< /Type /Catalog /Pages 2 0 R >>")
    add(2, b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
    add(3, b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Annots [5 0 R] >>")
    add(
        4,
        b"<< /Type /ObjStm /N 1 /First %d /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream"
        % (len(header), len(stream), stream),
    )
    xref_at = len(out)
    rows = [b"\x00" + struct.pack(">I", 0) + b"\xff\xff"]
    rows += [b"\x01" + struct.pack(">I", offsets[n]) + b"\x00\x00" for n in (1, 2, 3, 4)]
    rows.append(b"\x02" + struct.pack(">I", 4) + b"\x00\x00")  # object 5: in stream 4
    rows.append(b"\x01" + struct.pack(">I", xref_at) + b"\x00\x00")
    table = b"".join(rows)
    out.extend(
        b"6 0 obj\n<< /Type /XRef /Size 7 /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n%s\n"
        b"endstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % (len(table), table, xref_at)
    )
    return bytes(out)


def _docx_with_document_xml(path: Path, tmp_path: Path, expanded_bytes: int) -> Path:
    """A real .docx whose document.xml is replaced by one of ``expanded_bytes``
    (paragraphs of prose, then one citing a URL), streamed into the zip so that
    the file stays small."""
    template = tmp_path / "template.docx"
    docx.Document().save(str(template))
    head = f'<w:document xmlns:w="{_W}"><w:body>'.encode()
    paragraph = b"<w:p><w:r><w:t>" + b"words " * 170 + b"</w:t></w:r></w:p>"
    chunk = paragraph * (2**20 // len(paragraph))
    tail = (
        b"<w:p><w:r><w:t>Cited: https://example.org/cited</w:t></w:r></w:p></w:body></w:document>"
    )
    with zipfile.ZipFile(template) as source, zipfile.ZipFile(path, "w") as target:
        for info in source.infolist():
            if info.filename != "word/document.xml":
                target.writestr(info, source.read(info))
                continue
            bomb = zipfile.ZipInfo("word/document.xml")
            bomb.compress_type = zipfile.ZIP_DEFLATED
            with target.open(bomb, "w", force_zip64=True) as member:
                member.write(head)
                for _ in range(expanded_bytes // len(chunk)):
                    member.write(chunk)
                member.write(tail)
    return path


def _no_traceback(result) -> None:
    assert "Traceback" not in result.stderr, result.stderr


def test_a_pdf_object_stream_bomb_is_a_clear_error(cli: CLI) -> None:
    (cli.cwd / "bomb.pdf").write_bytes(_pdf_object_stream_bomb(200 * 2**20))
    result = cli("extract", "bomb.pdf", "-o", "sources.csv")
    _no_traceback(result)
    assert result.returncode == 2
    assert "bomb.pdf" in result.stderr and "size limit" in result.stderr
    assert not (cli.cwd / "sources.csv").exists()


def test_a_malformed_pdf_is_a_clear_error(cli: CLI) -> None:
    broken = _pdf_object_stream_bomb(2**20).replace(b"/N 1", b"/N (x)")
    (cli.cwd / "broken.pdf").write_bytes(broken)
    result = cli("extract", "broken.pdf", "-o", "sources.csv")
    _no_traceback(result)
    assert result.returncode == 2
    assert "broken.pdf: not a readable PDF: Invalid /ObjStm header" in result.stderr


def test_a_small_pdf_with_an_object_stream_is_read(cli: CLI) -> None:
    (cli.cwd / "fine.pdf").write_bytes(_pdf_object_stream_bomb(2**20))
    result = cli("extract", "fine.pdf", "-o", "sources.csv")
    assert result.returncode == 0, result.stderr
    assert "https://example.org/" in (cli.cwd / "sources.csv").read_text()


def test_a_docx_zip_bomb_is_refused_naming_the_member(cli: CLI, tmp_path: Path) -> None:
    bomb = _docx_with_document_xml(cli.cwd / "bomb.docx", tmp_path, MAX_DOCX_MEMBER_BYTES + 2**20)
    assert bomb.stat().st_size < 2 * 2**20
    sources = cli.write_sources([cli.web.url("/ok")])
    assert cli("check").returncode == 0  # fix needs a database
    before = sources.read_bytes()
    for args in (("extract", "bomb.docx", "-o", "sources.csv"), ("fix", "bomb.docx")):
        result = cli(*args)
        _no_traceback(result)
        assert result.returncode == 2, (args, result.stderr)
        assert "bomb.docx: word/document.xml is larger than" in result.stderr
    assert sources.read_bytes() == before


def test_a_docx_whose_zip_directory_lies_about_a_size_is_refused(cli: CLI, tmp_path: Path) -> None:
    """The zip directory says document.xml is small; its data inflates far past it."""
    path = _docx_with_document_xml(cli.cwd / "liar.docx", tmp_path, 8 * 2**20)
    data = bytearray(path.read_bytes())
    # Rewrite the uncompressed size in the central directory entry of document.xml.
    name = b"word/document.xml"
    entry = data.rfind(b"PK\x01\x02", 0, data.rfind(name))
    struct.pack_into("<I", data, entry + 24, 1000)
    path.write_bytes(bytes(data))
    result = cli("extract", "liar.docx", "-o", "sources.csv")
    _no_traceback(result)
    assert result.returncode == 2
    assert "liar.docx" in result.stderr


def test_extract_of_a_large_docx_under_the_limits_reads_it(cli: CLI, tmp_path: Path) -> None:
    """A big document.xml under the limit is read (its memory is in bench/)."""
    _docx_with_document_xml(cli.cwd / "big.docx", tmp_path, 24 * 2**20)
    result = cli("extract", "big.docx", "-o", "sources.csv")
    assert result.returncode == 0, result.stderr
    assert "https://example.org/cited" in (cli.cwd / "sources.csv").read_text()
