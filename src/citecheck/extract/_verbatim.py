"""Raw HTML elements whose content is code or script, not prose: ``<pre>``, ``<code>``,
``<script>``, ``<style>``, ``<textarea>``.

Found in one pass: each opening tag is matched with the next closing tag of its name,
and where a name has no closing tag before a limit it is not searched for again
before that limit, so a text of many unclosed ``<code>`` costs its length, not its
length squared.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator

_OPENING = re.compile(r"<(pre|code|script|style|textarea)(?=[\s/>])[^>]*>", re.IGNORECASE)
_BLANK_LINE = re.compile(r"\n[ \t]*\r?\n")


def verbatim_elements(text: str, *, within_paragraph: bool = False) -> Iterator[tuple[int, int]]:
    """(start, end) of every verbatim element in ``text``, opening to closing tag.

    An element never closed runs to the end of the text, as a browser reads it; with
    ``within_paragraph`` (raw HTML inside a Markdown paragraph) to the paragraph's
    end, so a stray ``<code>`` in prose hides no more than its paragraph.
    """
    lowered = text.lower()
    paragraph_ends = [m.start() for m in _BLANK_LINE.finditer(text)] if within_paragraph else []
    unclosed_before: dict[str, int] = {}
    position = 0
    while (opening := _OPENING.search(text, position)) is not None:
        name = opening.group(1).lower()
        after = bisect.bisect_left(paragraph_ends, opening.end())
        limit = paragraph_ends[after] if after < len(paragraph_ends) else len(text)
        closing = -1
        if unclosed_before.get(name, -1) < limit:
            closing = lowered.find(f"</{name}", opening.end(), limit)
        if closing == -1:
            unclosed_before[name] = limit
            yield opening.start(), limit
            position = max(limit, opening.end())
            continue
        end = lowered.find(">", closing, limit)
        end = limit if end == -1 else end + 1
        yield opening.start(), end
        position = end
