"""The diff and the summary a person reads before a fix is written."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Protocol

from .rules import LeftLink

#: Lines of context around each hunk of the diff.
DIFF_CONTEXT_LINES = 1


class Change(Protocol):
    """A planned change, in a text document or a Word one."""

    @property
    def line(self) -> int: ...
    @property
    def old_url(self) -> str: ...
    @property
    def new_url(self) -> str: ...
    @property
    def action(self) -> str: ...


def byte_line_starts(data: bytes) -> list[int]:
    starts = [0]
    position = data.find(b"\n")
    while position != -1:
        starts.append(position + 1)
        position = data.find(b"\n", position + 1)
    return starts


def line_of(starts: list[int], offset: int) -> int:
    """0-based line of a byte offset."""
    low, high = 0, len(starts)
    while high - low > 1:
        middle = (low + high) // 2
        if starts[middle] <= offset:
            low = middle
        else:
            high = middle
    return low


def hunks(spans: list[tuple[int, int]], line_count: int) -> Iterator[tuple[int, int]]:
    """0-based (first, last) line ranges of the hunks: changed lines plus context,
    merged when their context would overlap (a valid unified diff)."""
    current: tuple[int, int] | None = None
    for first, last in sorted(spans):
        low = max(0, first - DIFF_CONTEXT_LINES)
        high = min(line_count - 1, last + DIFF_CONTEXT_LINES)
        if current is not None and low <= current[1] + 1:
            current = (current[0], max(current[1], high))
            continue
        if current is not None:
            yield current
        current = (low, high)
    if current is not None:
        yield current


def hunk_lines(
    old_lines: list[bytes],
    new_lines: list[bytes],
    first: int,
    last: int,
    display: Callable[[bytes], str],
) -> Iterator[str]:
    """A hunk's body: context lines, then each run of changed lines as removals
    followed by additions. Replacements never add or remove line breaks, so line
    ``n`` of the old document is line ``n`` of the new one."""
    removed: list[str] = []
    added: list[str] = []
    for number in range(first, last + 1):
        old, new = old_lines[number], new_lines[number]
        if old == new:
            yield from removed
            yield from added
            removed, added = [], []
            yield f" {display(old)}\n"
        else:
            removed.append(f"-{display(old)}\n")
            added.append(f"+{display(new)}\n")
    yield from removed
    yield from added


_VERBS = {"swap": "swapped", "update": "updated", "undo": "restored"}


def summary(document: str, changes: Sequence[Change], left: Sequence[LeftLink]) -> str:
    swapped = sum(1 for item in changes if item.action == "swap")
    updated = sum(1 for item in changes if item.action == "update")
    restored = sum(1 for item in changes if item.action == "undo")
    counts = (
        f"{restored} restored"
        if restored
        else f"{swapped} swapped for an archived copy, {updated} updated to where they redirect"
    )
    lines = [f"{document}: {counts}, {len(left)} left for a human"]
    for item in changes:
        verb = _VERBS.get(item.action, item.action)
        lines.append(f"  line {item.line}: {verb} {item.old_url} -> {item.new_url}")
    for item in left:
        lines.append(f"  line {item.line}: left {item.url} ({item.why})")
    return "\n".join(lines) + "\n"
