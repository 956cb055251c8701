"""Settings of the cloud pipeline, read from the environment once per process.

The same names work in the cloud (set at deploy, see infra/) and on the local stack
(written by ``make stack`` into ``.stack/env``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    project: str
    #: The bucket that receives uploads (its finalize events trigger ``on_upload``).
    bucket: str
    #: Where results go: a second bucket with no trigger, so the thousands of tiles a job
    #: writes do not each wake ``on_upload``.
    results_bucket: str
    #: ``projects/P/locations/L/workflows/W``: the workflow that compares two versions.
    workflow: str
    #: Local stack only: base URL of the workflow runner that emulates the Executions API.
    workflows_url: str | None
    #: Render resolution of overlays (dots per inch).
    dpi: float
    #: Pages identified per call of ``identify_pages`` (the per-page OCR fan-out).
    identify_batch: int
    #: A job with more pairs than this runs its diffs on the Cloud Run job, not the function.
    job_threshold: int
    #: Pairs per Cloud Run job task.
    pairs_per_task: int


def settings() -> Settings:
    project = (os.environ.get("GOOGLE_CLOUD_PROJECT") or os.environ.get("GCLOUD_PROJECT")
               or "demo-buildtrace")
    location = os.environ.get("BUILDTRACE_REGION", "us-central1")
    return Settings(
        project=project,
        bucket=os.environ.get("BUILDTRACE_BUCKET", f"{project}-drawings"),
        results_bucket=os.environ.get("BUILDTRACE_RESULTS_BUCKET", f"{project}-results"),
        workflow=os.environ.get("BUILDTRACE_WORKFLOW",
                                f"projects/{project}/locations/{location}/workflows/compare"),
        workflows_url=os.environ.get("BUILDTRACE_WORKFLOWS_URL") or None,
        dpi=float(os.environ.get("BUILDTRACE_DPI", "150")),
        identify_batch=int(os.environ.get("BUILDTRACE_IDENTIFY_BATCH", "10")),
        job_threshold=int(os.environ.get("BUILDTRACE_JOB_THRESHOLD", "60")),
        pairs_per_task=int(os.environ.get("BUILDTRACE_PAIRS_PER_TASK", "10")),
    )
