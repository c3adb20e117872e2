"""What a document is, by its content: accepted kinds, hostile files refused, previews made with limits."""

from __future__ import annotations

import pytest

from engine.casework import file_checks
from engine.casework.file_checks import check_upload
from engine.casework.file_store import FilesystemStore, content_key
from engine.casework.previews import make_preview
from engine.errors import FileRefused, FileTooLarge, NotFound
from tests import documents

MB = 1024 * 1024


@pytest.mark.parametrize(
    ("data", "media_type"),
    [
        (documents.pdf(), file_checks.PDF),
        (documents.png(), file_checks.PNG),
        (documents.jpeg(), file_checks.JPEG),
        (documents.docx(), file_checks.DOCX),
        (documents.xlsx(), file_checks.XLSX),
        (documents.odt(), file_checks.ODT),
    ],
)
def test_accepted_kinds_are_known_by_their_content(data, media_type):
    assert check_upload(data, 5 * MB).media_type == media_type


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (documents.HTML_AS_PDF, file_checks.NOT_ACCEPTED),
        (documents.SVG, file_checks.NOT_ACCEPTED),
        (documents.SCRIPT, file_checks.NOT_ACCEPTED),
        (b"PK\x03\x04" + b"\x00" * 100, file_checks.UNREADABLE),
        (documents.zip_bomb_docx(), file_checks.ARCHIVE_REFUSED),
        (
            documents._zip({"../evil.txt": b"x", "word/document.xml": b"", "[Content_Types].xml": b""}),
            file_checks.ARCHIVE_REFUSED,
        ),
        (documents._zip({"readme.txt": b"just a zip"}), file_checks.NOT_ACCEPTED),
        (documents.png()[:40], file_checks.UNREADABLE),
        (b"", file_checks.EMPTY),
    ],
    ids=["html", "svg", "script", "broken-zip", "zip-bomb", "path-escape", "plain-zip", "cut-png", "empty"],
)
def test_hostile_or_unknown_files_are_refused_naming_the_field(data, message):
    with pytest.raises(FileRefused) as refused:
        check_upload(data, 50 * MB)
    assert refused.value.fields == {"file": [message]}


def test_a_file_over_the_limit_is_too_large():
    with pytest.raises(FileTooLarge) as refused:
        check_upload(documents.pdf() + b"\x00" * MB, MB)
    assert refused.value.fields == {"file": [file_checks.TOO_LARGE]}


def test_previews_of_images_and_pdfs_are_small_pngs():
    from io import BytesIO

    from PIL import Image

    for data, media_type in (
        (documents.png((1200, 900)), file_checks.PNG),
        (documents.pdf(), file_checks.PDF),
    ):
        preview = make_preview(data, media_type)
        assert preview is not None and preview.startswith(b"\x89PNG")
        with Image.open(BytesIO(preview)) as image:
            assert max(image.size) <= 320
    assert make_preview(documents.docx(), file_checks.DOCX) is None
    assert make_preview(b"%PDF-1.4 broken", file_checks.PDF) is None  # fails in the child: no preview


def test_the_store_names_files_by_content_only(tmp_path):
    store = FilesystemStore(tmp_path)
    key = store.put(b"referral")
    assert key == content_key(b"referral") and store.get(key) == b"referral"
    assert store.put(b"referral") == key  # stored once
    [path] = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert path.name == key and (path.stat().st_mode & 0o777) == 0o600
    for bad in ("../secret", "a" * 64 + "/x", ""):
        with pytest.raises(NotFound):
            store.get(bad)
