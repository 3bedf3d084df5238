"""How much of a document citecheck reads before refusing it.

Documents come from anyone who can open a pull request against a campaign, so
every reader stops at a named size: a file past these limits is far more likely
a mistake or a bomb (a small zip or PDF that expands to gigabytes) than prose
with citations, and refusing it with a message costs the user nothing.
"""

from __future__ import annotations

#: Largest text document (Markdown, HTML, plain text) read, in bytes.
MAX_DOCUMENT_BYTES = 64 * 1024 * 1024
#: Largest PDF file read. pypdf reads it lazily and caps each decompressed stream
#: itself (its ``LimitReachedError``), so the file may be bigger than a text.
MAX_PDF_BYTES = 256 * 1024 * 1024
#: Largest .docx package file.
MAX_DOCX_BYTES = 256 * 1024 * 1024
#: Largest uncompressed XML member of a .docx that citecheck reads (the main
#: document, footnotes, relationships...). A 1,000-page report's document.xml is
#: about 20 MB; members are streamed, so this bounds time more than memory.
MAX_DOCX_MEMBER_BYTES = 128 * 1024 * 1024
#: Most members a .docx zip may list (a long report with images has a few hundred);
#: checked before zipfile reads the zip's directory into memory.
MAX_DOCX_MEMBERS = 10_000
