"""HTML to PDF with WeasyPrint, for the exports of a person's data.

The HTML is ours (a template) and needs nothing from outside: every URL it might name is refused, so
a value that looks like a link can never make the server fetch anything. The fonts are the system's
(DejaVu Sans in the image: Cyrillic with its own italics and proper kerning). WeasyPrint is imported on
first use (it takes a second and logs its start) and its step-by-step progress lines are kept out of
the log.
"""

from __future__ import annotations

import logging
from typing import Any, NoReturn

logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)


def _refuse(url: str, *args: Any, **kwargs: Any) -> NoReturn:
    raise ValueError("a PDF of Casepath loads nothing from outside")


def render_pdf(html: str) -> bytes:
    import weasyprint

    pdf: bytes = weasyprint.HTML(string=html, base_url=None, url_fetcher=_refuse).write_pdf()
    return pdf
