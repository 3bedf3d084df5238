"""What reads a fetched page, imported late: titles.py (with lxml and the decoders)
once a check's first requests are out, pages/ at the first page a citation names.

Neither is needed to send a request, and together they are a sixth of a check's
start-up (issue 11); imported at the first page read instead, titles.py held the
loop for 30-40 ms just as the first answers came in, each answer's next request
waiting behind it. :func:`warm_page_reader` is called once the first links'
requests are all written (check.py), while they wait for their answers.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .models import PageInfo
    from .pages.models import PageAnswer, PageQuestion

#: titles.page_info, once imported (an import statement per page cost a microsecond).
_PAGE_READER: dict[str, Callable[..., PageInfo]] = {}


def page_info(body: bytes, headers: Mapping[str, str], *, truncated: bool = False) -> PageInfo:
    """titles.page_info: the title and text of a fetched page."""
    read = _PAGE_READER.get("page_info")
    if read is None:
        read = _import_page_reader()
    return read(body, headers, truncated=truncated)


def warm_page_reader() -> None:
    """Import titles.py now, if it is not yet."""
    if "page_info" not in _PAGE_READER:
        _import_page_reader()


def _import_page_reader() -> Callable[..., PageInfo]:
    from .titles import page_info as read

    _PAGE_READER["page_info"] = read
    return read


def answer_pages(
    body: bytes,
    headers: Mapping[str, str],
    *,
    truncated: bool,
    question: PageQuestion,
    now: datetime,
    stop: threading.Event | None = None,
) -> PageAnswer | None:
    """pages.answer_pages, imported at the first page check: a check whose
    citations name no page or claim never needs pages/."""
    from .pages import answer_pages as answer

    return answer(body, headers, truncated=truncated, question=question, now=now, stop=stop)


__all__ = ["answer_pages", "page_info", "warm_page_reader"]
