"""The bucket's path convention (README, "Data").

- ``uploads/{uid}/{projectId}/{versionId}/{file}``: a drawing set, one file per version,
  written by the page (signed URL) or a desktop sync tool (service account).
In the results bucket (no trigger; ``BUILDTRACE_RESULTS_BUCKET``):

- ``versions/{projectId}/{versionId}/...``: what preparing a version made (thumbnails),
  shared by every job that uses the version.
- ``results/{jobId}/...``: a comparison's overlays, tiles, crops and ``report.json``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ID = r"[A-Za-z0-9_.\-]{1,128}"
_UPLOAD = re.compile(rf"^uploads/(?P<uid>{_ID})/(?P<project>{_ID})/(?P<version>{_ID})/"
                     r"(?P<file>[^/]+)$")


@dataclass(frozen=True)
class UploadPath:
    uid: str
    project_id: str
    version_id: str
    file: str


def parse_upload(name: str) -> UploadPath | None:
    """The parts of an upload's object name, or None when it is not an upload (results,
    thumbnails, a folder placeholder, a path one level off)."""
    m = _UPLOAD.match(name)
    if not m or m["version"] in (".", "..") or m["project"] in (".", ".."):
        return None
    return UploadPath(m["uid"], m["project"], m["version"], m["file"])


def upload_path(uid: str, project_id: str, version_id: str, file: str) -> str:
    return f"uploads/{uid}/{project_id}/{version_id}/{file}"


def version_prefix(project_id: str, version_id: str) -> str:
    return f"versions/{project_id}/{version_id}"


def results_prefix(job_id: str) -> str:
    return f"results/{job_id}"


def sheet_prefix(job_id: str, key: str) -> str:
    return f"results/{job_id}/sheets/{key}"
