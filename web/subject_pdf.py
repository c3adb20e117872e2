"""HTML to PDF with WeasyPrint, for the exports of a person's data.

The HTML is ours (a template) and needs nothing from outside: every URL it might name is refused, so
a value that looks like a link can never make the server fetch anything. The fonts are the system's
(DejaVu Sans in the image: Cyrillic with its own italics and proper kerning).
"""

from __future__ import annotations

from typing import Any, NoReturn

import weasyprint  # type: ignore[import-untyped]  # no type hints


def _refuse(url: str, *args: Any, **kwargs: Any) -> NoReturn:
    raise ValueError("a PDF of Casepath loads nothing from outside")


def render_pdf(html: str) -> bytes:
    pdf: bytes = weasyprint.HTML(string=html, base_url=None, url_fetcher=_refuse).write_pdf()
    return pdf
