"""What a document attached to a case may be, judged by its content, never by its name.

Accepted: PDF, PNG and JPEG images, and office documents (docx, xlsx, odt). The kind is read from
the first bytes with the ``filetype`` library; office documents are zip files, opened with limits
(entries, declared sizes, compression ratio, no path outside the archive) and recognised by the
members they must have, without unpacking anything. Images are opened with Pillow, which must find
the same format and a size within limits. Anything else (HTML, SVG, scripts, archives, executables)
is refused, whatever it is called.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

import filetype  # type: ignore[import-untyped]
from PIL import Image

from engine.errors import FileRefused, FileTooLarge

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ODT = "application/vnd.oasis.opendocument.text"
ACCEPTED = {PDF: "pdf", PNG: "png", JPEG: "jpg", DOCX: "docx", XLSX: "xlsx", ODT: "odt"}
IMAGES = {PNG: "PNG", JPEG: "JPEG"}

MAX_ZIP_ENTRIES = 2000
MAX_ZIP_UNPACKED = 200 * 1024 * 1024  # what all members of an office document may declare, together
MAX_ZIP_RATIO = 200  # a member may unpack to at most this many times its packed size
MAX_IMAGE_PIXELS = 50_000_000
FIELD = "file"
# Field messages (web/field_messages.py shows them in the reader's language).
NOT_ACCEPTED = "only PDF, PNG, JPEG, DOCX, XLSX and ODT documents are accepted"
UNREADABLE = "the file cannot be read"
ARCHIVE_REFUSED = "the document's archive is not accepted"
EMPTY = "the file is empty"
TOO_LARGE = "larger than the allowed size"


@dataclass(frozen=True)
class CheckedFile:
    media_type: str
    extension: str


def check_upload(data: bytes, max_bytes: int) -> CheckedFile:
    """The media type the content really has, or FileRefused / FileTooLarge naming the ``file`` field."""
    if len(data) > max_bytes:
        raise FileTooLarge(f"the file is larger than {max_bytes // (1024 * 1024)} MB", {FIELD: [TOO_LARGE]})
    if not data:
        raise FileRefused("the file is empty", {FIELD: [EMPTY]})
    guess = filetype.guess(data[:8192])
    mime = guess.mime if guess is not None else ""
    if mime == PDF and data.startswith(b"%PDF-"):
        return CheckedFile(PDF, "pdf")
    if mime in IMAGES:
        _check_image(data, mime)
        return CheckedFile(mime, ACCEPTED[mime])
    if data.startswith(b"PK\x03\x04"):
        office = _office_kind(data)
        return CheckedFile(office, ACCEPTED[office])
    raise _refused()


def _refused() -> FileRefused:
    return FileRefused(
        "this kind of file is not accepted",
        {FIELD: [NOT_ACCEPTED]},
    )


def _check_image(data: bytes, mime: str) -> None:
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            if image.format != IMAGES[mime] or width * height > MAX_IMAGE_PIXELS:
                raise _refused()
            image.verify()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        raise FileRefused("the image is damaged", {FIELD: [UNREADABLE]}) from error


def _office_kind(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            _check_archive(members)
            names = {member.filename for member in members}
            if "[Content_Types].xml" in names and "word/document.xml" in names:
                return DOCX
            if "[Content_Types].xml" in names and "xl/workbook.xml" in names:
                return XLSX
            if "mimetype" in names and "content.xml" in names:
                with archive.open("mimetype") as stream:
                    declared = stream.read(100).strip()
                if archive.getinfo("mimetype").file_size <= 100 and declared == ODT.encode():
                    return ODT
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, RuntimeError) as error:
        raise FileRefused("the document is damaged", {FIELD: [UNREADABLE]}) from error
    raise _refused()


def _check_archive(members: list[zipfile.ZipInfo]) -> None:
    """Refuse a zip bomb or a crafted archive from its directory alone, before reading any member."""
    unpacked = sum(member.file_size for member in members)
    if len(members) > MAX_ZIP_ENTRIES or unpacked > MAX_ZIP_UNPACKED:
        raise _damaged_archive()
    for member in members:
        name = member.filename
        if name.startswith(("/", "\\")) or ".." in name.replace("\\", "/").split("/"):
            raise _damaged_archive()
        if member.file_size > MAX_ZIP_RATIO * max(member.compress_size, 1) and member.file_size > 1024 * 1024:
            raise _damaged_archive()


def _damaged_archive() -> FileRefused:
    return FileRefused("the document is not a plain office document", {FIELD: [ARCHIVE_REFUSED]})
