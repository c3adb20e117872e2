"""Small PNG previews of attached images and of a PDF's first page, made with limits.

An image is already checked (``file_checks``): Pillow shrinks it in this process. A PDF is rendered
by pdfium (``pypdfium2``) in a child process with a memory and CPU limit and a timeout, reading the
document on its standard input and writing the PNG on its standard output; a PDF that fails to
render, or takes too long, simply has no preview. Run as ``python -m engine.casework.previews``.
"""

from __future__ import annotations

import io
import logging
import subprocess
import sys
from pathlib import Path

from PIL import Image

from engine.casework.file_checks import IMAGES, PDF

log = logging.getLogger(__name__)
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])
SIZE = 320  # the longer side of a preview, in pixels
TIMEOUT_SECONDS = 20
MEMORY_LIMIT = 768 * 1024 * 1024
CPU_SECONDS = 15
MAX_PAGE_POINTS = 14_400  # pdfium's own limit for a page side (200 inches)


def make_preview(data: bytes, media_type: str) -> bytes | None:
    """A PNG of at most SIZE × SIZE pixels, or None (no preview for this kind, or it failed)."""
    if media_type in IMAGES:
        return _image_preview(data)
    if media_type == PDF:
        return _pdf_preview(data)
    return None


def _image_preview(data: bytes) -> bytes | None:
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.draft("RGB", (SIZE, SIZE))  # JPEG: decode at a reduced scale
            image.thumbnail((SIZE, SIZE))
            return _png(image)
    except (OSError, ValueError, Image.DecompressionBombError):
        log.warning("an image preview could not be made")
        return None


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.convert("RGB").save(out, format="PNG", optimize=True)
    return out.getvalue()


def _limit_this_process() -> None:  # pragma: no cover - runs in the child, before pdfium is loaded
    """The child limits itself (``preexec_fn`` is unsafe in a threaded server)."""
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))


def _pdf_preview(data: bytes) -> bytes | None:
    try:
        done = subprocess.run(
            [sys.executable, "-m", "engine.casework.previews"],
            input=data,
            capture_output=True,
            timeout=TIMEOUT_SECONDS,
            cwd=_PACKAGE_ROOT,  # where ``engine`` is importable from, installed or not
            check=False,
        )
    except subprocess.TimeoutExpired:
        log.warning("a PDF preview took too long and was given up")
        return None
    if done.returncode != 0 or not done.stdout.startswith(b"\x89PNG"):
        log.warning("a PDF preview could not be made (exit status %s)", done.returncode)
        return None
    return done.stdout


def render_first_page(data: bytes) -> bytes:
    """The first page of a PDF as a PNG preview (in the child process)."""
    import pypdfium2  # type: ignore[import-untyped]

    document = pypdfium2.PdfDocument(data)
    try:
        page = document[0]
        width, height = page.get_size()
        if not 0 < max(width, height) <= MAX_PAGE_POINTS:
            raise ValueError("page size out of range")
        bitmap = page.render(scale=SIZE / max(width, height))
        return _png(bitmap.to_pil())
    finally:
        document.close()


if __name__ == "__main__":  # pragma: no cover - exercised through _pdf_preview
    _limit_this_process()
    sys.stdout.buffer.write(render_first_page(sys.stdin.buffer.read()))
