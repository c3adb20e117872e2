"""Where the bytes of attached documents live: outside the database, named by their SHA-256.

:class:`FileStore` is what the engine needs; :class:`FilesystemStore` keeps the files under the
instance folder (``instance/attachments/ab/cd/<sha256>``). The name in the path is the content's
hash, never the name the user gave the file, so a path can neither be chosen nor guessed from a
case, and storing the same document twice stores it once. :class:`S3Store` keeps them in a bucket of
an S3-compatible store (``CASEPATH_S3_*``, see :func:`store_for`), under the same hash names.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import Any, Protocol

from engine.config import Settings
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


class S3Store:
    """Files in a bucket of an S3-compatible store, each object named ``<prefix><sha256>``.

    An object appears whole or not at all (S3 writes are atomic), so no temporary name is needed; a
    document already there is not sent again. ``client`` is a boto3 S3 client (any object with the
    same ``put_object``, ``get_object`` and ``head_object``).
    """

    def __init__(self, client: Any, bucket: str, prefix: str = "attachments/") -> None:
        self.client, self.bucket, self.prefix = client, bucket, prefix

    def _name(self, key: str) -> str:
        if not _SHA256.fullmatch(key):
            raise NotFound("file not found")  # a key is a hash: nothing else ever names an object
        return f"{self.prefix}{key}"

    def put(self, data: bytes) -> str:
        key = content_key(data)
        if not self.exists(key):
            self.client.put_object(
                Bucket=self.bucket,
                Key=self._name(key),
                Body=data,
                ContentType="application/octet-stream",  # never served from the bucket as a page
            )
        return key

    def get(self, key: str) -> bytes:
        try:
            found = self.client.get_object(Bucket=self.bucket, Key=self._name(key))
        except Exception as error:
            if _missing(error):
                raise NotFound("file not found") from None
            raise
        data: bytes = found["Body"].read()
        if content_key(data) != key:  # a changed or truncated object is never handed out as the file
            raise NotFound("file not found")
        return data

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self._name(key))
        except Exception as error:
            if _missing(error):
                return False
            raise
        return True

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._name(key))  # S3: none there is no error


def _missing(error: Exception) -> bool:
    """Whether a client error says the object is not there (404, NoSuchKey), not that the store failed."""
    response = getattr(error, "response", None) or {}
    code = str(response.get("Error", {}).get("Code", ""))
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return code in ("404", "NoSuchKey", "NotFound") or status == 404


def store_for(settings: Settings) -> FileStore:
    """The store the settings name: an S3-compatible bucket when ``s3_bucket`` is set, else the
    instance folder."""
    if not settings.s3_bucket:
        return FilesystemStore(settings.attachments_dir)
    import boto3  # only a deployment with a bucket needs the AWS SDK loaded
    from botocore.config import Config

    client = boto3.client(
        "s3",
        endpoint_url=settings.s3_endpoint_url or None,
        region_name=settings.s3_region,
        aws_access_key_id=settings.s3_access_key_id or None,
        aws_secret_access_key=settings.s3_secret_access_key or None,
        config=Config(
            s3={"addressing_style": "path"} if settings.s3_endpoint_url else {},
            retries={"max_attempts": 3, "mode": "standard"},
            # plain bodies: S3-compatible servers differ in the trailing checksums newer SDKs add by
            # default; what is read back is checked against its SHA-256 name instead
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
            connect_timeout=5,
            read_timeout=30,
        ),
    )
    return S3Store(client, settings.s3_bucket, settings.s3_prefix)
