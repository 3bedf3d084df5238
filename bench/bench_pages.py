"""Benchmark the page check (issue 15): PDFs of 500 pages up to the 32 MiB fetch cap.

Each PDF is written once with reportlab: 500 pages of prose (about 350 words, a
printed page number at the foot, two cover pages before page 1) and, to make the
file as heavy as a report with photographs, a photograph-sized image of noise on
every page (noise does not compress, so the file size is the images'). Four page
citations with their claims are checked against it (``pages.answer_pages``, what
the check stage runs in a worker thread) in a fresh subprocess per PDF, which
reports the time, its peak RSS, and its RSS with the body read but before the
check (the fetch holds the body anyway; the difference is what the check adds).

    python bench/bench_pages.py [--pages 500] [--sizes 1,16,32] [--repeat 3]
"""

from __future__ import annotations

import argparse
import io
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

#: The fetch cap on PDFs (config.DEFAULT_MAX_PDF_BYTES): a body over it is cut off.
_CAP = 32 * 1024 * 1024
_WORDS = (
    "committee", "report", "section", "policy", "analysis", "results", "member", "states",
    "framework", "annex", "overview", "context", "summary", "chapter", "table", "figure",
    "method", "review", "approach", "evidence", "public", "authorities", "national", "regional",
    "programme", "funding", "budget", "procedure", "article", "biometric", "surveillance",
    "database", "police", "border", "migration", "camera", "recognition", "facial", "privacy"
)  # fmt: skip
_CITED = {
    67: "The CATCH system holds facial images of 180,000 people falsely included in a"
    " pseudo-criminal database.",
    92: "Smart devices spray the scent of oranges at people predicted to be aggressive.",
    118: "Children as young as 12 must submit biometric fingerprints to the government.",
    300: "Stratumseind Living Lab combines social media monitoring with biometric data.",
}


def _page_text(printed: int) -> str:
    rng = random.Random(printed)
    words = " ".join(rng.choice(_WORDS) for _ in range(350))
    return (_CITED.get(printed, "") + " " + words).strip()


def write_pdf_near(path: Path, pages: int, target_bytes: int) -> int:
    """:func:`write_pdf`, written once more with its images scaled if it missed."""
    size = write_pdf(path, pages, target_bytes)
    text_only = write_pdf(path, pages, 0)
    if size <= text_only:
        return size  # no room for images: the text-only file it is
    if abs(size - target_bytes) < 0.02 * target_bytes:
        return write_pdf(path, pages, target_bytes)
    corrected = text_only + (target_bytes - text_only) ** 2 / (size - text_only)
    return write_pdf(path, pages, int(corrected * 0.995))


def write_pdf(path: Path, pages: int, target_bytes: int) -> int:
    """A PDF of ``pages`` pages of about ``target_bytes`` (images as the estimate goes)."""
    from PIL import Image
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    text_only = write_pdf(path, pages, 0) if target_bytes else 0
    per_image = max(0, (target_bytes - text_only - 4096 * pages) // pages)
    # RGB noise: Flate cannot shrink it (3 bytes a pixel), and reportlab writes image
    # data in ASCII85 (5 characters for 4 bytes).
    side = int((per_image / 3.75) ** 0.5)
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4, pageCompression=1)
    rng = random.Random(0)
    for index in range(pages):
        printed = index - 1  # two cover pages, then page 1
        text = "Cover" if printed < 1 else _page_text(printed)
        y = 800
        words = text.split()
        for start in range(0, len(words), 14):
            pdf.drawString(50, y, " ".join(words[start : start + 14]))
            y -= 13
        if printed >= 1:
            pdf.drawString(290, 30, str(printed))
        if side:
            noise = Image.frombytes("RGB", (side, side), rng.randbytes(side * side * 3))
            pdf.drawImage(ImageReader(noise), 300, 300, width=200, height=200)
        pdf.showPage()
    pdf.save()
    path.write_bytes(out.getvalue())
    return len(out.getvalue())


def _rss_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def _child(path: str) -> None:
    from citecheck.pages import answer_pages
    from citecheck.pages.models import CitedClaim, PageQuestion

    body = Path(path).read_bytes()
    before = _rss_kib("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # the peak (VmHWM) restarts from here
    question = PageQuestion(tuple(CitedClaim(str(page), claim) for page, claim in _CITED.items()))
    started = time.perf_counter()
    answer = answer_pages(body, {"content-type": "application/pdf"}, truncated=False,
                          question=question, now=datetime.now(UTC))  # fmt: skip
    elapsed = time.perf_counter() - started
    peak = _rss_kib("VmHWM")
    assert answer is not None
    found = [(f.page, f.pdf_page, f.finding, f.support) for f in answer.findings]
    print(json.dumps({"s": elapsed, "before_kib": before, "peak_kib": peak, "found": found}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=500)
    parser.add_argument("--sizes", default="1,16,32", help="MiB; 32 means just under the cap")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child")
    args = parser.parse_args()
    if args.child:
        _child(args.child)
        return
    print(f"| PDF | pages | time (median of {args.repeat}) | peak RSS | RSS with the body read"
          " | check adds |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for mib in (int(size) for size in args.sizes.split(",")):
            path = Path(tmp) / f"report-{mib}.pdf"
            size = write_pdf_near(path, args.pages, min(mib * 1024 * 1024, _CAP - 256 * 1024))
            runs = []
            for _ in range(args.repeat):
                child = subprocess.run(
                    [sys.executable, __file__, "--child", str(path)],
                    capture_output=True, text=True, check=True,
                )  # fmt: skip
                runs.append(json.loads(child.stdout))
            found = runs[0]["found"]
            assert all(pdf_page == int(page) + 2 and support >= 0.5
                       for page, pdf_page, _, support in found
                       if int(page) + 2 <= args.pages), found  # fmt: skip
            peak = max(run["peak_kib"] for run in runs) / 1024
            before = max(run["before_kib"] for run in runs) / 1024
            print(
                f"| {size / 1048576:.1f} MiB | {args.pages} |"
                f" {statistics.median(run['s'] for run in runs):.1f} s |"
                f" {peak:.0f} MiB | {before:.0f} MiB | {peak - before:.0f} MiB |"
            )


if __name__ == "__main__":
    main()
