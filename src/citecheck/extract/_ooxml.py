"""A Word package (.docx) read through size limits: parts, their types and links.

A .docx is a zip of XML parts tied together by relationship files
(``word/_rels/document.xml.rels``). python-docx reads every part whole into
memory, so a 1.6 MB file whose ``document.xml`` expands to 1.5 GiB takes
gigabytes; here the package's own small files (content types, relationships) are
read whole but capped, and a text part is streamed, capped, to the caller's
parser. Past a limit the document is refused with a message naming the member.
"""

from __future__ import annotations

import posixpath
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from lxml import etree

from ..errors import InputError
from ._limits import MAX_DOCX_BYTES, MAX_DOCX_MEMBER_BYTES, MAX_DOCX_MEMBERS

_CONTENT_TYPES = "[Content_Types].xml"
_CT = "{http://schemas.openxmlformats.org/package/2006/content-types}"
_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_OFFICE_DOCUMENT = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
)
HYPERLINK = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink"
#: The end-of-central-directory record: its signature and where the entry count is.
_END_RECORD = b"PK\x05\x06"
_END_RECORD_SIZE = 22
_MAX_COMMENT = 0xFFFF


@dataclass(frozen=True)
class Relationship:
    """One ``<Relationship>``: ``target`` is a member name for an internal one and
    the Target as written for an external one."""

    rel_id: str
    reltype: str
    target: str
    external: bool


def xml_parser() -> etree.XMLParser:
    """A parser that never loads a DTD, expands an entity or reaches the network."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


class Package:
    """An open .docx; use as a context manager."""

    def __init__(self, path: Path) -> None:
        self.path = path
        _check_file(path)
        try:
            self._zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, ValueError, EOFError) as exc:
            raise InputError(f"{path}: not a readable .docx document: {exc}") from exc
        except OSError as exc:
            raise InputError(f"{path}: cannot read the document: {exc.strerror or exc}") from exc
        try:
            self._content_types = self._read_content_types()
        except BaseException:
            self._zip.close()
            raise

    def __enter__(self) -> Package:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._zip.close()

    def main_part(self) -> str:
        """The main document part's member name (usually ``word/document.xml``)."""
        for rel in self.relationships(""):
            if rel.reltype == _OFFICE_DOCUMENT and not rel.external:
                return rel.target
        raise InputError(f"{self.path}: not a readable .docx document: it has no main document")

    def content_type(self, member: str) -> str | None:
        overrides, defaults = self._content_types
        extension = posixpath.splitext(member)[1].lstrip(".").lower()
        return overrides.get(member.lower(), defaults.get(extension))

    def walk_parts(self) -> Iterator[str]:
        """Every part reachable from the package's relationships, depth first, each
        once (python-docx's order); a stack, not recursion, however long the chain."""
        visited: set[str] = set()
        stack = [iter(self.relationships(""))]
        while stack:
            rel = next(stack[-1], None)
            if rel is None:
                stack.pop()
                continue
            if rel.external or rel.target in visited or not self.has(rel.target):
                continue
            visited.add(rel.target)
            yield rel.target
            stack.append(iter(self.relationships(rel.target)))

    def has(self, member: str) -> bool:
        try:
            self._zip.getinfo(member)
        except KeyError:
            return False
        return True

    def relationships(self, source: str) -> list[Relationship]:
        """The relationships of part ``source`` ("" for the package itself)."""
        member = rels_member(source)
        if not self.has(member):
            return []
        root = self._parse_small(member)
        base = posixpath.dirname(source)
        relationships = []
        for element in root.iter(_RELS):
            rel_id, reltype = element.get("Id"), element.get("Type")
            target = element.get("Target") or ""
            if not rel_id or not reltype:
                continue
            external = element.get("TargetMode") == "External"
            if not external:
                target = _resolve(base, target)
            relationships.append(Relationship(rel_id, reltype, target, external))
        return relationships

    def open_member(self, member: str) -> IO[bytes]:
        """The member's bytes as a stream that refuses to go past the size limit."""
        info = self._info(member)
        try:
            raw = self._zip.open(info)
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError, ValueError) as exc:
            raise InputError(f"{self.path}: {member}: cannot be read: {exc}") from exc
        return _CappedStream(raw, self.path, member)

    def _info(self, member: str) -> zipfile.ZipInfo:
        try:
            info = self._zip.getinfo(member)
        except KeyError:
            raise InputError(f"{self.path}: not a readable .docx document: no {member}") from None
        if info.file_size > MAX_DOCX_MEMBER_BYTES:
            raise InputError(_too_big(self.path, member))
        return info

    def _parse_small(self, member: str) -> etree._Element:
        with self.open_member(member) as stream:
            try:
                return etree.parse(stream, xml_parser()).getroot()
            except etree.XMLSyntaxError as exc:
                raise InputError(f"{self.path}: {member} is not well-formed XML: {exc}") from exc

    def _read_content_types(self) -> tuple[dict[str, str], dict[str, str]]:
        if not self.has(_CONTENT_TYPES):
            raise InputError(
                f"{self.path}: not a readable .docx document: it has no {_CONTENT_TYPES}"
            )
        root = self._parse_small(_CONTENT_TYPES)
        overrides = {
            (element.get("PartName") or "").lstrip("/").lower(): element.get("ContentType") or ""
            for element in root.iter(f"{_CT}Override")
        }
        defaults = {
            (element.get("Extension") or "").lower(): element.get("ContentType") or ""
            for element in root.iter(f"{_CT}Default")
        }
        return overrides, defaults


def rels_member(part: str) -> str:
    """``word/document.xml`` → ``word/_rels/document.xml.rels`` ("" → ``_rels/.rels``)."""
    directory, name = posixpath.split(part)
    return posixpath.join(directory, "_rels", f"{name}.rels")


def _resolve(base: str, target: str) -> str:
    if target.startswith("/"):
        return posixpath.normpath(target).lstrip("/")
    return posixpath.normpath(posixpath.join(base, target)).lstrip("/")


def _too_big(path: Path, member: str) -> str:
    limit = MAX_DOCX_MEMBER_BYTES // 2**20
    return f"{path}: {member} is larger than {limit} MiB uncompressed (a zip bomb?); not read"


class _CappedStream:
    """A zip member's stream that raises InputError once it has given more bytes
    than the limit: a member's size in the zip directory may lie."""

    def __init__(self, raw: IO[bytes], path: Path, member: str) -> None:
        self._raw = raw
        self._path = path
        self._member = member
        self._given = 0

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = MAX_DOCX_MEMBER_BYTES + 1 - self._given
        try:
            data = self._raw.read(size)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
            raise InputError(f"{self._path}: {self._member}: cannot be read: {exc}") from exc
        self._given += len(data)
        if self._given > MAX_DOCX_MEMBER_BYTES:
            raise InputError(_too_big(self._path, self._member))
        return data

    def close(self) -> None:
        self._raw.close()

    def __enter__(self) -> _CappedStream:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _check_file(path: Path) -> None:
    """Refuse a file too big, or whose zip directory lists too many members, before
    zipfile reads that directory into memory."""
    try:
        size = path.stat().st_size
        with path.open("rb") as stream:
            stream.seek(max(0, size - _END_RECORD_SIZE - _MAX_COMMENT))
            tail = stream.read()
    except OSError as exc:
        raise InputError(f"{path}: cannot read the document: {exc.strerror or exc}") from exc
    if size > MAX_DOCX_BYTES:
        raise InputError(f"{path}: larger than {MAX_DOCX_BYTES // 2**20} MiB, not read")
    at = tail.rfind(_END_RECORD)
    if at != -1 and len(tail) - at >= _END_RECORD_SIZE:
        (entries,) = struct.unpack_from("<H", tail, at + 10)
        if entries > MAX_DOCX_MEMBERS:
            raise InputError(
                f"{path}: the package lists {entries} members, more than a Word document"
                f" has ({MAX_DOCX_MEMBERS}); not read"
            )
