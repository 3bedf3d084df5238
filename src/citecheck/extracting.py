"""The extract stage as a library call: the citations of documents found and merged
into sources.csv.

Apart from pipeline.py because a check needs none of it: its summary of each
document is one dataclass more to create at a check's start (issue 11).
extract/ is imported inside the call.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from .models import Citation
from .sources import MergeSummary, merge_citations, read_sources, stale_citations, write_sources
from .store import Store


@dataclass(frozen=True)
class DocumentCitations:
    """What ``extract`` found in one document."""

    document: str
    citations: list[Citation]
    matched: list[Citation]  # title-only citations matched to a known source
    unresolved: list[Citation]  # title-only citations matching none
    #: sources.csv rows citing this document at a place where it no longer cites them
    stale: list[Citation] = field(default_factory=list)


def extract_to_sources(
    documents: Iterable[Path], sources: Path, *, store: Store | None = None, prune: bool = False
) -> tuple[list[DocumentCitations], MergeSummary]:
    """Extract the citations of ``documents`` and merge them into ``sources``.

    Title-only citations are matched against the titles ``sources`` gives its URLs
    and, with a ``store``, the titles the cited pages were last seen with (a PDF's
    own title, say). Rows already in ``sources``, and every edit made to them, stay,
    except, with ``prune``, the stale ones: rows citing one of ``documents`` at a
    place where it no longer cites that URL (each document's ``stale`` lists them,
    pruned or not).
    """
    from .extract import extract_file, match_titles

    existing = read_sources(sources) if sources.exists() else None
    current = list(existing.citations) if existing else []
    known = {c.title: c.url for c in current if c.title and c.url}
    if store is not None:
        for state in store.active_links():
            if state.title:
                known.setdefault(state.title, state.url)
    found: list[Citation] = []
    per_document = []
    for path in documents:
        extraction = extract_file(path, document=str(path))
        matched, unresolved = match_titles(extraction.unresolved, known)
        found += [*extraction.citations, *matched]
        per_document.append(DocumentCitations(str(path), extraction.citations, matched, unresolved))
    stale = stale_citations(current, found, [d.document for d in per_document])
    for document in per_document:
        document.stale.extend(current[p] for p in stale if current[p].document == document.document)
    if prune:
        dropped = set(stale)
        current = [c for position, c in enumerate(current) if position not in dropped]
    merged, summary = merge_citations(current, found)
    write_sources(sources, merged, existing.fieldnames if existing else None)
    return per_document, replace(summary, pruned=len(stale) if prune else 0)


__all__ = ["DocumentCitations", "extract_to_sources"]
