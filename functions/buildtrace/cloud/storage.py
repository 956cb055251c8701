"""Google Cloud Storage: the bucket of uploads and results.

On the local stack ``STORAGE_EMULATOR_HOST`` points the client at the local GCS server
(anonymous credentials; the client library reads the variable itself).
"""

from __future__ import annotations

import functools
import hashlib
import mimetypes
import os
import tempfile

from .config import settings

#: Downloaded sets are kept per process, keyed by content hash: every step of a job (and a
#: function instance serving several jobs) reads the same PDF, so it crosses the network once.
CACHE_DIR = os.path.join(tempfile.gettempdir(), "buildtrace-cache")


@functools.lru_cache(maxsize=1)
def client():
    from google.cloud import storage

    if os.environ.get("STORAGE_EMULATOR_HOST"):
        from google.auth.credentials import AnonymousCredentials

        return storage.Client(project=settings().project, credentials=AnonymousCredentials())
    return storage.Client(project=settings().project)


def bucket(name: str | None = None):
    return client().bucket(name or settings().bucket)


def fetch(name: str, content_hash: str, bucket_name: str | None = None) -> str:
    """A local copy of object ``name`` (downloaded once per process per content hash)."""
    os.makedirs(CACHE_DIR, exist_ok=True)
    ext = os.path.splitext(name)[1].lower() or ".bin"
    key = hashlib.sha1(f"{bucket_name}/{name}/{content_hash}".encode()).hexdigest()
    path = os.path.join(CACHE_DIR, key + ext)
    if not os.path.exists(path):
        fd, tmp = tempfile.mkstemp(dir=CACHE_DIR)
        os.close(fd)
        bucket(bucket_name).blob(name).download_to_filename(tmp)
        os.replace(tmp, path)  # atomic: a concurrent reader never sees half a file
    return path


def results():
    return bucket(settings().results_bucket)


def put_file(local: str, name: str) -> str:
    """Upload one file to the results bucket; returns the object name. Same name, same
    object: a retried step overwrites instead of adding."""
    ctype = mimetypes.guess_type(local)[0] or "application/octet-stream"
    results().blob(name).upload_from_filename(local, content_type=ctype)
    return name


def put_tree(local_dir: str, prefix: str) -> list[str]:
    """Upload every file under ``local_dir`` to ``prefix/<relative path>``."""
    names = []
    for root, _dirs, files in os.walk(local_dir):
        for f in sorted(files):
            path = os.path.join(root, f)
            rel = os.path.relpath(path, local_dir).replace(os.sep, "/")
            names.append(put_file(path, f"{prefix}/{rel}"))
    return names


def put_bytes(data: bytes, name: str, content_type: str) -> str:
    """Upload bytes to the results bucket; returns the object name."""
    results().blob(name).upload_from_string(data, content_type=content_type)
    return name


def get_bytes(name: str) -> bytes:
    """An object of the results bucket."""
    return results().blob(name).download_as_bytes()


def list_names(prefix: str) -> list[str]:
    """Object names under ``prefix`` in the results bucket."""
    return [b.name for b in client().list_blobs(settings().results_bucket, prefix=prefix)]


def gs_url(name: str, bucket_name: str | None = None) -> str:
    return f"gs://{bucket_name or settings().bucket}/{name}"
