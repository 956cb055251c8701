"""HTTP and CloudEvent adapters of the pipeline steps: parse, call, answer JSON.

Answers: 200 with the step's JSON; 400 for a malformed body; 409 ``{"error": "cancelled"}``
when the job was cancelled (the workflow stops); 422 ``{"error": reason}`` for input that
no retry fixes (the workflow fails the job with the reason); 500 for anything else (the
workflow retries with backoff).
"""

from __future__ import annotations

import time
import traceback

from . import pipeline
from .log import log

STEPS = {
    "start_job": pipeline.start_job,
    "inspect_set": pipeline.inspect_set,
    "identify_pages": pipeline.identify_pages,
    "pair_sheets": pipeline.pair_job,
    "diff_pair": pipeline.diff_pair,
    "summarise": pipeline.summarise,
    "finalize": pipeline.finalize,
    "fail_job": pipeline.fail_job,
}


def step(name: str, request):
    """Run workflow step ``name`` on a Flask request; returns ``(json, status)``."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("jobId"), str):
        return {"error": "the body must be a JSON object with a string jobId"}, 400
    t = time.perf_counter()
    try:
        answer = STEPS[name](body)
        status = 200
    except pipeline.JobCancelled:
        answer, status = {"error": "cancelled"}, 409
    except pipeline.StepFailed as exc:
        answer, status = {"error": str(exc)}, 422
    except (KeyError, ValueError, TypeError, LookupError) as exc:
        answer, status = {"error": f"bad request: {exc}"}, 400
    except Exception as exc:  # retried by the workflow
        log("step crashed", severity="ERROR", step=name, job=body.get("jobId"),
            error=repr(exc), trace=traceback.format_exc())
        answer, status = {"error": f"{type(exc).__name__}: {exc}"}, 500
    log("step", step=name, job=body.get("jobId"), status=status,
        seconds=round(time.perf_counter() - t, 3), key=body.get("key"), side=body.get("side"))
    return answer, status


def on_upload(cloud_event) -> dict:
    """``google.cloud.storage.object.v1.finalized``: the data is the GCS object resource."""
    return pipeline.handle_upload(dict(cloud_event.data or {}))
