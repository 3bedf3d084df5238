"""PDFs with real text, written for the tests with reportlab (text) and pypdf
(page labels): citecheck reads them as it reads a report from the web."""

from __future__ import annotations

import io
import random
import textwrap

from pypdf import PdfReader, PdfWriter
from pypdf.constants import PageLabelStyle
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

#: Words of filler prose, so that unrelated pages share common words but not passages.
_FILLER = (  # noqa: SIM905
    "committee report section policy analysis results member states framework annex"
    " overview context summary chapter table figure method review approach evidence"
    " public authorities national regional programme funding budget procedure article"
).split()


def filler_page(seed: int, words: int = 100) -> str:
    """A page of prose nobody cites, different for every ``seed``."""
    rng = random.Random(seed)
    return " ".join(rng.choice(_FILLER) + rng.choice(("", "s", "ed", "ing")) for _ in range(words))


def make_pdf(
    pages: list[str],
    *,
    printed_from: int | None = None,
    front_matter: int = 0,
    labels: bool = False,
    title: str = "A report",
) -> bytes:
    """One PDF page per text. The first ``front_matter`` pages are front matter;
    from the next one the pages are numbered 1, 2, …: printed at the foot of the
    page when ``printed_from`` is given (the number printed on the first numbered
    page), and as the PDF's own page labels when ``labels`` is true."""
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4, pageCompression=1)
    pdf.setTitle(title)
    for index, text in enumerate(pages):
        y = 800
        for paragraph in text.split("\n"):
            for line in textwrap.wrap(paragraph, 90) or [""]:
                pdf.drawString(50, y, line)
                y -= 14
                if y < 60:
                    break
        if printed_from is not None and index >= front_matter:
            pdf.drawString(290, 30, str(printed_from + index - front_matter))
        pdf.showPage()
    pdf.save()
    if not labels:
        return out.getvalue()
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(out.getvalue())))
    if front_matter:
        writer.set_page_label(0, front_matter - 1, PageLabelStyle.LOWERCASE_ROMAN)
    writer.set_page_label(front_matter, len(pages) - 1, PageLabelStyle.DECIMAL, start=1)
    labelled = io.BytesIO()
    writer.write(labelled)
    return labelled.getvalue()
