"""Every generated page (tests/judged_pages.py) is read and judged exactly as it was
when tests/data/judged_pages.txt was recorded: titles, text samples, fingerprints,
sibling probes, verdicts and site rules. Guards the fast paths of titles.py,
classify.py and sites.py (issue 11) against any change of a verdict."""

from pathlib import Path

import judged_pages

RECORDED = Path(__file__).parent / "data" / "judged_pages.txt"


def test_every_generated_page_is_judged_as_recorded() -> None:
    recorded = RECORDED.read_text().split()
    assert len(recorded) == judged_pages.PAGES
    changed = [
        n
        for n, (now, then) in enumerate(zip(judged_pages.digests(), recorded, strict=True))
        if now != then
    ]
    assert changed == [], f"{len(changed)} pages judged differently, first: {changed[:10]}"
