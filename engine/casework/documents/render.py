"""Documents as PDF: a Jinja environment of the engine's own (its templates beside this module) and
WeasyPrint.

The templates are the documents' Bulgarian text. The environment escapes every value (form answers
are people's free text) and fails on an undefined name instead of printing nothing. Fonts: the
stylesheet asks for DejaVu Serif, which has the whole Cyrillic alphabet and ships with the system
(Debian's ``fonts-dejavu-core``, installed in the Docker image and by ``.ci/run``); WeasyPrint embeds
the glyphs it uses, so the PDF reads the same on any reader's machine.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

TEMPLATES = Path(__file__).parent / "templates"

_environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)

# WeasyPrint logs what it cannot render (and fontTools logs subsetting) at INFO/WARNING; such lines
# could quote a document's text, so they are kept to errors (nothing personal in log lines).
for _name in ("weasyprint", "fontTools"):
    logging.getLogger(_name).setLevel(logging.ERROR)


def render_html(template: str, context: dict[str, Any]) -> str:
    return _environment.get_template(template).render(**context)


def render_pdf(template: str, context: dict[str, Any]) -> bytes:
    """The document's PDF bytes."""
    from weasyprint import HTML  # imported here: loading pango takes a moment, only documents need it

    html = render_html(template, context)
    pdf = HTML(string=html, base_url=str(TEMPLATES)).write_pdf()
    assert pdf is not None  # write_pdf without a target returns the bytes
    return bytes(pdf)
