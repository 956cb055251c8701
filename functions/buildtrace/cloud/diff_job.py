"""The Cloud Run job that compares a batch of pairs: ``python -m buildtrace.cloud.diff_job``.

The workflow starts it for jobs with many pairs (``BUILDTRACE_JOB_THRESHOLD``) with
``BUILDTRACE_JOB_ID`` set and ``taskCount`` tasks; task ``CLOUD_RUN_TASK_INDEX`` of
``CLOUD_RUN_TASK_COUNT`` takes every COUNT-th pair from its index. Each pair goes through
the same ``diff_pair`` step as the function, so results and counts are identical and a
retried task rewrites, never duplicates. Exit status 1 when a pair crashed (Cloud Run
retries the task); a sheet that cannot be compared is a result, not a crash.
"""

from __future__ import annotations

import os
import sys

from . import pipeline, store
from .log import log


def main() -> int:
    job_id = os.environ["BUILDTRACE_JOB_ID"]
    index = int(os.environ.get("CLOUD_RUN_TASK_INDEX", "0"))
    count = int(os.environ.get("CLOUD_RUN_TASK_COUNT", "1"))
    keys = store.get_job(job_id)["pairing"]["keys"][index::count]
    log("diff task started", job=job_id, task=index, tasks=count, pairs=len(keys))
    crashed = 0
    for key in keys:
        try:
            pipeline.diff_pair({"jobId": job_id, "key": key})
        except pipeline.JobCancelled:
            log("job cancelled; task stops", job=job_id, task=index)
            return 0
        except Exception as exc:
            crashed += 1
            log("pair crashed", severity="ERROR", job=job_id, task=index, sheet=key,
                error=repr(exc))
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main())
