"""V4 signed URLs: the only way a browser reads results or writes an upload.

Uploads: a PUT URL bound to one object name (under the user's uid and a project they
belong to), a content type, and a size range (``x-goog-content-length-range``), valid for
15 minutes; GCS refuses a request whose signed headers differ. In the cloud the runtime
service account signs through IAM (no key file); on the local stack a key made by
``make stack`` signs (``BUILDTRACE_SIGNER_KEY_FILE``) and the URL points at the local GCS
server, which does not check signatures or the size range.
"""

from __future__ import annotations

import datetime
import functools
import os

from . import storage
from .config import settings

UPLOAD_TTL = datetime.timedelta(minutes=15)
DOWNLOAD_TTL = datetime.timedelta(hours=1)
#: The largest set a browser may upload (bytes).
MAX_UPLOAD_BYTES = int(os.environ.get("BUILDTRACE_MAX_UPLOAD_BYTES", str(2 * 1024 ** 3)))
UPLOAD_TYPES = ("application/pdf", "image/png", "image/jpeg", "image/tiff")


@functools.lru_cache(maxsize=1)
def _signer() -> dict:
    key_file = os.environ.get("BUILDTRACE_SIGNER_KEY_FILE")
    if key_file:
        from google.oauth2 import service_account

        return {"credentials": service_account.Credentials.from_service_account_file(key_file)}
    import google.auth
    import google.auth.transport.requests

    creds, _ = google.auth.default(scopes=["https://www.googleapis.com/auth/cloud-platform"])
    creds.refresh(google.auth.transport.requests.Request())
    return {"service_account_email": creds.service_account_email,
            "access_token": creds.token}


def _endpoint() -> dict:
    host = os.environ.get("STORAGE_EMULATOR_HOST")
    return {"api_access_endpoint": host} if host else {}


def upload_url(name: str, content_type: str, size: int) -> dict:
    """A signed PUT for one upload; the answer says which headers the PUT must carry."""
    headers = {"Content-Type": content_type,
               "x-goog-content-length-range": f"0,{size}"}
    blob = storage.bucket(settings().bucket).blob(name)
    url = blob.generate_signed_url(version="v4", method="PUT", expiration=UPLOAD_TTL,
                                   content_type=content_type, headers=headers,
                                   **_endpoint(), **_signer())
    return {"url": url, "method": "PUT", "headers": headers, "object": name,
            "expiresIn": int(UPLOAD_TTL.total_seconds())}


def download_url(name: str, bucket_name: str | None = None) -> str:
    blob = storage.bucket(bucket_name or settings().results_bucket).blob(name)
    return blob.generate_signed_url(version="v4", method="GET", expiration=DOWNLOAD_TTL,
                                    **_endpoint(), **_signer())
