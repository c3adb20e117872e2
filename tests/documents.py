"""Documents for upload tests, made here: a real PDF and PNG (Pillow), office files, hostile files."""

from __future__ import annotations

import io
import zipfile

from PIL import Image


def png(size: tuple[int, int] = (60, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (50, 50), (10, 90, 200)).save(out, format="JPEG")
    return out.getvalue()


def pdf() -> bytes:
    """A one-page PDF (Pillow writes a real PDF with the image as its page)."""
    out = io.BytesIO()
    Image.new("RGB", (200, 280), (255, 255, 255)).save(out, format="PDF")
    return out.getvalue()


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def docx(extra: dict[str, bytes] | None = None) -> bytes:
    return _zip(
        {
            "[Content_Types].xml": b'<?xml version="1.0"?><Types/>',
            "word/document.xml": b'<?xml version="1.0"?><document/>',
            **(extra or {}),
        }
    )


def xlsx() -> bytes:
    return _zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"})


def odt() -> bytes:
    return _zip({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<office/>"})


def zip_bomb_docx() -> bytes:
    """A docx whose one member unpacks to 40 MB of zeros from a few kilobytes."""
    return docx({"word/media/blob.bin": bytes(40 * 1024 * 1024)})


HTML_AS_PDF = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
SCRIPT = b"#!/bin/sh\nrm -rf /\n"
