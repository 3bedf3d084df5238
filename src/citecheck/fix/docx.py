"""Word documents: swap the targets of hyperlink relationships, nothing else.

A ``.docx`` is a zip package: the plan changes the targets of its hyperlink
relationships (and hyperlink texts that are the URL itself), and every other zip
member is copied as it was. Word has no place for a second link beside a
hyperlink, so there is only one style: the target is replaced.
"""

from __future__ import annotations

import copy
import hashlib
import html
import re
import shutil
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import BinaryIO

from lxml import etree

from ..atomic import atomic_output
from ..errors import FixError, InputError
from ..extract.docx import DocxLink, docx_hyperlinks
from .diff import summary
from .rules import Decision, LeftLink, choose, same_url


@dataclass(frozen=True)
class TargetSwap:
    """One hyperlink relationship of a .docx whose target changes.

    ``line`` is the paragraph number (as ``extract`` reports it) of the first
    hyperlink using the relationship; ``text_too`` says that hyperlink texts that
    were the URL itself are updated as well.
    """

    document: str
    line: int
    column: int
    part: str
    rels_member: str
    rel_id: str
    old_url: str
    new_url: str
    action: str
    text_too: bool = False


@dataclass(frozen=True)
class DocxPlan:
    """Every change planned for one .docx: relationship targets, nothing else."""

    document: str
    path: Path
    sha256: str
    replacements: list[TargetSwap] = field(default_factory=list)
    left: list[LeftLink] = field(default_factory=list)

    def diff(self) -> str:
        """A unified-style diff of the hyperlink targets, a hunk per relationship."""
        if not self.replacements:
            return ""
        out = [
            f"--- a/{self.document} (hyperlink targets)\n",
            f"+++ b/{self.document} (hyperlink targets)\n",
        ]
        for item in self.replacements:
            out.append(f"@@ paragraph {item.line} ({item.part}, {item.rel_id}) @@\n")
            out.append(f"-{item.old_url}\n+{item.new_url}\n")
        return "".join(out)

    def summary(self) -> str:
        """What the plan does, for a person: counts, then each link left and why."""
        return summary(self.document, self.replacements, self.left)

    def apply(self, out: BinaryIO) -> None:
        """Write the new package to ``out``, streaming every unchanged member.

        Raises FixError if the file changed since it was planned.
        """
        if sha256_of(self.path) != self.sha256:
            raise FixError(f"{self.document} changed since the fix was planned; plan again")
        try:
            with zipfile.ZipFile(self.path) as source:
                changed = self._changed_members(source)
                with zipfile.ZipFile(out, "w") as target:
                    target.comment = source.comment
                    for info in source.infolist():
                        copied = copy.copy(info)
                        if info.filename in changed:
                            target.writestr(copied, changed[info.filename])
                            continue
                        with source.open(info) as src, target.open(copied, "w") as dst:
                            shutil.copyfileobj(src, dst, 1024 * 1024)
        except (zipfile.BadZipFile, etree.XMLSyntaxError, KeyError) as exc:
            raise FixError(f"{self.document}: cannot rewrite the package: {exc}") from exc

    def write(self, *, before_replace: Callable[[Path], None] | None = None) -> None:
        """Apply the plan to the document itself, atomically (``before_replace`` as
        :func:`citecheck.atomic.atomic_output` takes it)."""
        try:
            with atomic_output(self.path, before_replace=before_replace) as out:
                self.apply(out)
        except OSError as exc:
            raise FixError(f"{self.path}: cannot write: {exc.strerror or exc}") from exc

    def _changed_members(self, source: zipfile.ZipFile) -> dict[str, bytes]:
        changed: dict[str, bytes] = {}
        by_rels: dict[str, list[TargetSwap]] = {}
        for item in self.replacements:
            by_rels.setdefault(item.rels_member, []).append(item)
        for member, swaps in by_rels.items():
            changed[member] = _retarget(source.read(member), swaps, self.document)
        texts: dict[str, list[TargetSwap]] = {}
        for item in self.replacements:
            if item.text_too:
                texts.setdefault(item.part, []).append(item)
        for member, swaps in texts.items():
            changed[member] = _retext(source.read(member), swaps)
        return changed


_RELATIONSHIP = re.compile(rb"<(?:\w+:)?Relationship\b[^>]*>")
_XML_ATTRIBUTE = re.compile(
    rb"""\s(?P<name>[\w:]+)\s*=\s*(?P<quote>["'])(?P<value>.*?)(?P=quote)"""
)
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def _retarget(rels: bytes, swaps: list[TargetSwap], document: str) -> bytes:
    """The relationships part with the swapped targets; every other byte as it was."""
    wanted = {item.rel_id: item for item in swaps}
    done: set[str] = set()

    def rewrite(match: re.Match[bytes]) -> bytes:
        element = match.group(0)
        attributes = {m.group("name"): m for m in _XML_ATTRIBUTE.finditer(element)}
        rel_id = attributes.get(b"Id")
        target = attributes.get(b"Target")
        if rel_id is None or target is None:
            return element
        item = wanted.get(rel_id.group("value").decode("utf-8"))
        if item is None:
            return element
        if html.unescape(target.group("value").decode("utf-8")) != item.old_url:
            raise FixError(f"{document}: {item.rel_id} no longer points at {item.old_url}")
        done.add(item.rel_id)
        value = html.escape(item.new_url, quote=True).encode("utf-8")
        return element[: target.start("value")] + value + element[target.end("value") :]

    result = _RELATIONSHIP.sub(rewrite, rels)
    missing = sorted(set(wanted) - done)
    if missing:
        raise FixError(f"{document}: relationships not found: {', '.join(missing)}")
    return result


def _retext(part: bytes, swaps: list[TargetSwap]) -> bytes:
    """The part with hyperlink texts that were the old URL now showing the new one."""
    root = etree.fromstring(part)
    by_id = {item.rel_id: item for item in swaps}
    for hyperlink in root.iter(f"{{{_W}}}hyperlink"):
        item = by_id.get(hyperlink.get(f"{{{_R}}}id", ""))
        if item is None:
            continue
        texts = list(hyperlink.iter(f"{{{_W}}}t"))
        if texts and same_url("".join(t.text or "" for t in texts).strip(), item.old_url):
            texts[0].text = item.new_url
            for other in texts[1:]:
                other.text = ""
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def plan_docx_fix(
    path: Path,
    decisions: Mapping[str, Decision],
    *,
    redirects: bool = False,
    archive_prefixes: Sequence[str] = (),
    document: str | None = None,
) -> DocxPlan:
    """Plan the changes to a .docx: hyperlink targets (and texts that are the URL).

    Word has no place for a second link beside a hyperlink, so there is only one
    style: the target is replaced. URLs typed as plain text are left for a human.
    """
    name = str(path) if document is None else document
    sha256, links = _read_docx(path)
    swaps: dict[tuple[str, str], TargetSwap] = {}
    left: list[LeftLink] = []
    for link in links:
        if link.rel_id is None:
            chosen = choose(link.url, link.paragraph, decisions, redirects, archive_prefixes)
            if isinstance(chosen, LeftLink):
                left.append(chosen)
            elif chosen is not None:
                left.append(LeftLink(link.url, link.paragraph, "typed as text, not a hyperlink"))
            continue
        key = (link.rels_member, link.rel_id)
        if key in swaps:
            if same_url(link.text.strip(), link.url):
                swaps[key] = replace(swaps[key], text_too=True)
            continue
        chosen = choose(link.url, link.paragraph, decisions, redirects, archive_prefixes)
        if isinstance(chosen, LeftLink):
            left.append(chosen)
        elif chosen is not None:
            decision, new_url = chosen
            swaps[key] = _target_swap(name, link, new_url, decision.action)
    ordered = sorted(swaps.values(), key=lambda item: (item.part != "word/document.xml", item.line))
    left.sort(key=lambda item: item.line)
    return DocxPlan(name, path, sha256, ordered, left)


def _read_docx(path: Path) -> tuple[str, list[DocxLink]]:
    """The file's digest (to refuse writing over a changed file) and its hyperlinks."""
    try:
        return sha256_of(path), docx_hyperlinks(path)
    except OSError as exc:
        raise FixError(f"{path}: cannot read the document: {exc.strerror or exc}") from exc
    except InputError as exc:
        raise FixError(str(exc)) from exc


def plan_docx_undo(
    path: Path, swaps: Sequence[TargetSwap], *, document: str | None = None
) -> DocxPlan:
    """Put back the hyperlink targets that ``swaps`` (a recorded fix) changed.

    A relationship is restored when its target is still the recorded new URL;
    raises FixError naming every swap that is no longer there.
    """
    name = str(path) if document is None else document
    sha256, links = _read_docx(path)
    present = {(link.rels_member, link.rel_id, link.url): link for link in links if link.rel_id}
    undone: list[TargetSwap] = []
    problems: list[str] = []
    for item in swaps:
        link = present.get((item.rels_member, item.rel_id, item.new_url))
        if link is None:
            problems.append(f"paragraph {item.line}: {item.new_url} is no longer there")
            continue
        undone.append(
            replace(
                _target_swap(name, link, item.old_url, "undo"),
                text_too=item.text_too and same_url(link.text.strip(), link.url),
            )
        )
    if problems:
        raise FixError(f"{name}: cannot undo the last fix:\n" + "\n".join(problems))
    return DocxPlan(name, path, sha256, undone, [])


def _target_swap(document: str, link: DocxLink, new_url: str, action: str) -> TargetSwap:
    return TargetSwap(
        document=document,
        line=link.paragraph,
        column=link.column,
        part=link.part,
        rels_member=link.rels_member,
        rel_id=link.rel_id or "",
        old_url=link.url,
        new_url=new_url,
        action=action,
        text_too=same_url(link.text.strip(), link.url),
    )
