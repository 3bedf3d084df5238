"""``citecheck fix``: swap dead links for their archived copies, byte for byte.

One module per document format, as in ``extract/``, and the steps around them::

    rules.py     what may be done with one cited URL (Decision, LeftLink, choose)
    text.py      text documents: plan the replacements (FixPlan, plan_fix)
    sites.py     where a URL sits in plain text     markdown.py  … in Markdown
    html.py      … in HTML                          docx.py      Word: relationship targets
    diff.py      the diff and summary a person reads before writing
    rebase.py    a plan moved onto an edited document; planning an undo
    document.py  plan, write (journalled) and undo one document file: the entry points
    decisions.py what to do with each cited link, from the store

Only ``document.py`` chooses a format, so callers never look at a suffix.
"""

from __future__ import annotations

from .decisions import fix_decisions
from .diff import DIFF_CONTEXT_LINES
from .document import (
    UNFIXABLE_SUFFIXES,
    DocumentPlan,
    finish_interrupted_fix,
    plan_document_fix,
    refuse_unfixable,
    undo_document_fix,
    write_atomically,
    write_document_fix,
)
from .docx import DocxPlan, TargetSwap, plan_docx_fix, plan_docx_undo
from .rebase import NEARBY_BYTES, plan_undo, rebase_plan, verify_plan
from .rules import (
    ARCHIVE_HOSTS,
    ARCHIVE_PREFIXES,
    Action,
    Decision,
    LeftLink,
    Style,
    is_archive_url,
)
from .text import FixPlan, Replacement, plan_fix

__all__ = [
    "ARCHIVE_HOSTS",
    "ARCHIVE_PREFIXES",
    "DIFF_CONTEXT_LINES",
    "NEARBY_BYTES",
    "UNFIXABLE_SUFFIXES",
    "Action",
    "Decision",
    "DocumentPlan",
    "DocxPlan",
    "FixPlan",
    "LeftLink",
    "Replacement",
    "Style",
    "TargetSwap",
    "finish_interrupted_fix",
    "fix_decisions",
    "is_archive_url",
    "plan_document_fix",
    "plan_docx_fix",
    "plan_docx_undo",
    "plan_fix",
    "plan_undo",
    "rebase_plan",
    "refuse_unfixable",
    "undo_document_fix",
    "verify_plan",
    "write_atomically",
    "write_document_fix",
]
