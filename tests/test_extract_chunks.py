"""A long document read in pieces gives exactly the citations of one read whole."""

from __future__ import annotations

import pytest

from citecheck.extract import _chunks, extract_html, extract_markdown, extract_text

MARKDOWN = """# Campaign

Surveillance rose by 40% ([EDRi](https://edri.org/report) p. 12). See also
https://example.org/a and https://example.org/b.

```
https://example.org/in-fence

https://example.org/still-in-fence
```

<!-- a comment

https://example.org/in-comment -->

- A list item citing [one](https://example.org/one).

    An indented continuation: https://example.org/continued

[ref]: https://example.org/reference "The reference"

A quoted title: “The rise of X” [p.88] and <https://example.org/auto>.
"""

HTML = """<!doctype html>
<html><body>
<p>Surveillance rose by 40% (<a href="https://edri.org/report?a=1&amp;b=2">EDRi</a>).</p>
<!-- <p>https://example.org/in-comment</p>

<p>still comment</p> -->
<p><a href="https://example.org/wrapped" title="Wrapped &amp; long">
<div>a block inside an anchor</div>
</a></p>
<script>
var x = "https://example.org/in-script";
</script>
<p>Bare: https://example.org/bare.</p>
<li>Item <a href='https://example.org/item'>item</a></li>
<pre>https://example.org/verbatim</pre>
</body></html>
"""

TEXT = "First: https://example.org/1\n\nSecond claim here https://example.org/2 p. 4\nthird\n"


@pytest.mark.parametrize(
    ("reader", "text"),
    [(extract_markdown, MARKDOWN), (extract_html, HTML), (extract_text, TEXT)],
)
@pytest.mark.parametrize("chunk_chars", [1, 20, 100])
def test_reading_in_pieces_changes_nothing(monkeypatch, reader, text, chunk_chars) -> None:
    whole = reader(text * 3, "doc")
    monkeypatch.setattr(_chunks, "CHUNK_CHARS", chunk_chars)
    pieces = reader(text * 3, "doc")
    assert pieces == whole
    assert len(whole.citations) >= 3
