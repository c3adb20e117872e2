"""Where the bytes of attached documents live: outside the database, named by their SHA-256.

:class:`FileStore` is what the engine needs; :class:`FilesystemStore` keeps the files under the
instance folder (``instance/attachments/ab/cd/<sha256>``). The name in the path is the content's
hash, never the name the user gave the file, so a path can neither be chosen nor guessed from a
case, and storing the same document twice stores it once. An S3-compatible store would implement the
same four methods.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import Protocol

from engine.errors import NotFound

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class FileStore(Protocol):
    def put(self, data: bytes) -> str:
        """Store ``data``; return its SHA-256 (hex), the key to read it back."""
        ...

    def get(self, key: str) -> bytes:
        """The bytes stored under ``key``; NotFound if there are none."""
        ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None:
        """Remove the bytes under ``key`` (nothing if there are none): retention's erasure."""
        ...


def content_key(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class FilesystemStore:
    """Files in a folder, written atomically (a temporary file renamed into place)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        if not _SHA256.fullmatch(key):
            raise NotFound("file not found")  # a key is a hash: nothing else ever reaches the disk
        return self.root / key[:2] / key[2:4] / key

    def put(self, data: bytes) -> str:
        key = content_key(data)
        path = self._path(key)
        if path.exists():
            return key
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(temporary, 0o600)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return key

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise NotFound("file not found") from None

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)
