"""Moving a plan onto the document as it is now, and planning an undo.

Between planning and writing (and between a fix and its undo) the document may have
been edited elsewhere: each hunk is looked for where it was, then nearby, and a
hunk that is no longer there, or is there twice, is refused rather than guessed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from ..errors import FixError
from .diff import byte_line_starts
from .text import FixPlan, Replacement

#: How far (bytes) from its planned offset a hunk may have moved and still be found.
NEARBY_BYTES = 4096


def verify_plan(plan: FixPlan, current: bytes) -> list[str]:
    """What prevents applying ``plan`` to ``current`` (empty: nothing).

    Each planned ``old_text`` must still be at its offsets, or found exactly once
    nearby with the same bytes on either side (a line added above it moves it).
    """
    return [problem for _, problem in _rebased(plan, current) if problem]


def rebase_plan(plan: FixPlan, current: bytes) -> FixPlan:
    """``plan`` moved onto ``current``: each hunk at its new offsets.

    Raises FixError naming every hunk that no longer matches.
    """
    results = _rebased(plan, current)
    problems = [problem for _, problem in results if problem]
    if problems:
        raise FixError(
            f"{plan.document} changed since the fix was planned:\n" + "\n".join(problems)
        )
    moved = [item for item, _ in results if item is not None]
    return replace(plan, original=current, replacements=moved)


def _rebased(plan: FixPlan, current: bytes) -> list[tuple[Replacement | None, str]]:
    results: list[tuple[Replacement | None, str]] = []
    previous_end = 0
    for item in plan.replacements:
        start = _find_hunk(plan.original, current, item)
        if start is None or start < previous_end:
            results.append(
                (
                    None,
                    f"line {item.line}: {item.old_url} is no longer where the fix planned "
                    "to change it",
                )
            )
            continue
        shift = start - item.start
        results.append((replace(item, start=start, end=item.end + shift), ""))
        previous_end = item.end + shift
    return results


def _find_hunk(original: bytes, current: bytes, item: Replacement) -> int | None:
    before = original[item.start - 1 : item.start] if item.start else b""
    after = original[item.end : item.end + 1]

    def fits(start: int) -> bool:
        end = start + len(item.old_text)
        return (
            current[start:end] == item.old_text
            and (current[start - 1 : start] if start else b"") == before
            and current[end : end + 1] == after
        )

    if fits(item.start):
        return item.start
    low = max(0, item.start - NEARBY_BYTES)
    high = min(len(current), item.end + NEARBY_BYTES)
    found = []
    position = current.find(item.old_text, low, high)
    while position != -1 and len(found) < 2:
        if fits(position):
            found.append(position)
        position = current.find(item.old_text, position + 1, high)
    return found[0] if len(found) == 1 else None


def plan_undo(path_or_name: str, data: bytes, swaps: Sequence[Replacement]) -> FixPlan:
    """Put back what ``swaps`` (the recorded replacements of a fix) changed.

    Each swap's ``new_text`` is looked for on its line of ``data`` (the fixed
    document) and turned back into its ``old_text``; offsets are not trusted, so the
    record survives edits elsewhere in the document. Raises FixError naming every
    swap that is no longer there.
    """
    line_starts = byte_line_starts(data)
    taken: list[tuple[int, int]] = []
    undone: list[Replacement] = []
    problems: list[str] = []
    for item in sorted(swaps, key=lambda swap: swap.line):
        start = _find_on_line(data, line_starts, item.line, item.new_text, taken)
        if start is None:
            problems.append(f"line {item.line}: {item.new_url} is no longer there")
            continue
        end = start + len(item.new_text)
        taken.append((start, end))
        undone.append(
            replace(
                item,
                document=path_or_name,
                start=start,
                end=end,
                old_text=item.new_text,
                new_text=item.old_text,
                old_url=item.new_url,
                new_url=item.old_url,
                action="undo",
            )
        )
    if problems:
        raise FixError(f"{path_or_name}: cannot undo the last fix:\n" + "\n".join(problems))
    encoding = "utf-8"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        encoding = "latin-1"
    undone.sort(key=lambda item: item.start)
    return FixPlan(path_or_name, data, undone, [], encoding)


def _find_on_line(
    data: bytes, line_starts: list[int], line: int, needle: bytes, taken: list[tuple[int, int]]
) -> int | None:
    """The first start of ``needle`` on ``line`` (1-based) not inside a taken range."""
    if not needle or not 1 <= line <= len(line_starts):
        return None
    line_start = line_starts[line - 1]
    line_end = line_starts[line] if line < len(line_starts) else len(data)
    position = data.find(needle, line_start, max(line_end, line_start + len(needle)))
    while position != -1 and position < line_end:
        end = position + len(needle)
        if not any(start < end and position < stop for start, stop in taken):
            return position
        position = data.find(needle, position + 1, max(line_end, position + 1 + len(needle)))
    return None
