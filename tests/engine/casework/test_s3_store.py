"""Attached documents in an S3-compatible store, against a real S3 server: s3rver (npm, a devDependency
of the project, installed by ``make install-test``) serving the S3 HTTP API from a scratch folder.

The store is the one ``CASEPATH_S3_*`` configure (:func:`engine.casework.file_store.store_for`), with
boto3, the AWS SDK, talking HTTP to the server: what goes in comes back by its SHA-256, the same
document is stored once, an unknown or malformed key is NotFound, and an object changed behind the
store's back is never handed out. Without node or s3rver the tests skip, saying so (fail in CI).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.casework.file_store import S3Store, content_key, store_for
from engine.config import Settings, load_settings
from engine.errors import NotFound
from tests import documents
from tests.conftest import IN_CI

ROOT = Path(__file__).resolve().parents[3]
S3RVER = ROOT / "node_modules" / ".bin" / "s3rver"
BUCKET = "casepath-test"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"an S3 server is required in CI: {reason}")
    pytest.skip(f"no S3 server to test against: {reason}")


@pytest.fixture(scope="module")
def s3_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    pytest.importorskip("boto3")
    if shutil.which("node") is None or not S3RVER.exists():
        _unavailable("node or node_modules/.bin/s3rver is missing (make install-test installs it)")
    port = _free_port()
    folder = tmp_path_factory.mktemp("s3rver")
    server = subprocess.Popen(
        [str(S3RVER), "-d", str(folder), "-a", "127.0.0.1", "-p", str(port), "-s"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 20
        while True:  # ready when it accepts a connection (it starts in well under a second)
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    _unavailable(f"s3rver did not start: {server.stderr.read() if server.stderr else ''!r}")
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)


def settings_for(endpoint: str, tmp_path: Path, prefix: str = "attachments/") -> Settings:
    return load_settings(
        {
            "CASEPATH_DATABASE_URL": "sqlite://",
            "CASEPATH_SECRET_KEY": "s3-test-secret-key-0123456789abcdef",
            "CASEPATH_INSTANCE_DIR": str(tmp_path),
            "CASEPATH_S3_BUCKET": BUCKET,
            "CASEPATH_S3_ENDPOINT_URL": endpoint,
            "CASEPATH_S3_PREFIX": prefix,
            "CASEPATH_S3_ACCESS_KEY_ID": "S3RVER",  # s3rver's well-known development credentials
            "CASEPATH_S3_SECRET_ACCESS_KEY": "S3RVER",
        }
    )


@pytest.fixture
def store(s3_endpoint: str, tmp_path: Path) -> S3Store:
    found = store_for(settings_for(s3_endpoint, tmp_path))
    assert isinstance(found, S3Store)
    buckets = {bucket["Name"] for bucket in found.client.list_buckets().get("Buckets", [])}
    if BUCKET not in buckets:
        found.client.create_bucket(Bucket=BUCKET)
    return found


def test_without_a_bucket_the_documents_stay_in_the_instance_folder(tmp_path: Path) -> None:
    settings = load_settings({"CASEPATH_INSTANCE_DIR": str(tmp_path), "CASEPATH_SECRET_KEY": "k" * 32})
    assert not isinstance(store_for(settings), S3Store)
    assert "S3RVER" not in repr(settings_for("http://127.0.0.1:1", tmp_path))  # secrets stay out of logs


def test_a_document_goes_in_and_comes_back_by_its_hash(store: S3Store, tmp_path: Path) -> None:
    pdf = documents.pdf()
    key = store.put(pdf)
    assert key == content_key(pdf)
    assert store.exists(key) and store.get(key) == pdf
    listed = store.client.list_objects_v2(Bucket=BUCKET, Prefix="attachments/")["Contents"]
    assert [item["Key"] for item in listed if item["Key"].endswith(key)] == [f"attachments/{key}"]
    head = store.client.head_object(Bucket=BUCKET, Key=f"attachments/{key}")
    assert head["ContentType"] == "application/octet-stream"  # never a page, whoever opens the bucket

    assert store.put(pdf) == key  # the same document twice is stored once
    assert len([item for item in listed if item["Key"].endswith(key)]) == 1


def test_unknown_and_malformed_keys_are_not_found(store: S3Store) -> None:
    missing = content_key(b"never stored")
    assert not store.exists(missing)
    with pytest.raises(NotFound):
        store.get(missing)
    for bad in ("../../etc/passwd", "ABC", "0" * 63, ""):
        with pytest.raises(NotFound):
            store.get(bad)


def test_an_object_changed_behind_the_stores_back_is_never_handed_out(store: S3Store) -> None:
    data = b"%PDF-1.4 original"
    key = store.put(data)
    store.client.put_object(Bucket=BUCKET, Key=f"attachments/{key}", Body=b"%PDF-1.4 tampered")
    with pytest.raises(NotFound):
        store.get(key)


def test_a_store_that_cannot_be_reached_fails_loudly(tmp_path: Path) -> None:
    """A store down is an error (the request fails and is retried), never a document "not found"."""
    pytest.importorskip("boto3")
    down = store_for(settings_for(f"http://127.0.0.1:{_free_port()}", tmp_path))
    with pytest.raises(Exception) as raised:
        down.get(content_key(b"x"))
    assert not isinstance(raised.value, NotFound)
