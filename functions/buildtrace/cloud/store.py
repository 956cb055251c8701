"""Firestore: projects, versions, jobs and per-sheet results (README, "Data").

Every write here is idempotent: documents have deterministic ids, and the counters of a job
move only when a page or sheet document is written for the first time (in one transaction
with it), so a retried step never counts twice. On the local stack the client library
reads ``FIRESTORE_EMULATOR_HOST`` itself.
"""

from __future__ import annotations

import functools
import time

from .config import settings

QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED = ("queued", "running", "succeeded", "failed",
                                                 "cancelled")
TERMINAL = (SUCCEEDED, FAILED, CANCELLED)
STAGES = ("prepare", "pair", "diff", "summary", "finalize")
#: Share of the job's progress (0..1) each stage carries.
STAGE_WEIGHTS = {"prepare": 0.25, "pair": 0.05, "diff": 0.6, "summary": 0.05, "finalize": 0.05}


@functools.lru_cache(maxsize=1)
def db():
    from google.cloud import firestore

    return firestore.Client(project=settings().project)


def _fs():
    from google.cloud import firestore

    return firestore


def now() -> float:
    """Timestamps are seconds since the epoch (float): sortable, JSON-friendly, and the same
    in the emulator and the cloud."""
    return round(time.time(), 3)


# --- references ---------------------------------------------------------------------------

def project_ref(project_id: str):
    return db().collection("projects").document(project_id)


def version_ref(project_id: str, version_id: str):
    return project_ref(project_id).collection("versions").document(version_id)


def page_ref(project_id: str, version_id: str, page: int):
    return version_ref(project_id, version_id).collection("pages").document(f"{page:05d}")


def job_ref(job_id: str):
    return db().collection("jobs").document(job_id)


def sheet_ref(job_id: str, key: str):
    return job_ref(job_id).collection("sheets").document(key)


# --- events and versions ------------------------------------------------------------------

def event_handled(key: str) -> bool:
    """True when the event ``key`` was handled to the end before (a redelivery)."""
    return db().collection("events").document(key).get().exists


def mark_event_handled(key: str, fields: dict) -> None:
    """Recorded after an event's work succeeded, so a failed attempt is redone when the
    event comes again. Two copies arriving at once both run; the work itself is idempotent
    (the version keyed by generation, the job by its two versions), so one job results."""
    db().collection("events").document(key).set(dict(fields, handledAt=now()))


def record_version(up, object_name: str, generation: str, content_hash: str, size: int,
                   content_type: str | None, uploaded_at: float) -> dict:
    """Create (or find) the project and the version of an upload, in one transaction.

    The project is created on its first upload with the uploader as owner. A version whose
    content hash equals another version's of the project is recorded as ``duplicate`` (with
    ``duplicateOf``) and is not processed again. The transaction reads every version of the
    project and writes the project document, so two uploads recorded at the same moment
    are serialised and each sees the other. Returns the version document with
    ``_previous`` and ``_next``: the neighbouring comparable versions in upload order."""
    fs = _fs()

    @fs.transactional
    def run(tx):
        pref = project_ref(up.project_id)
        vref = version_ref(up.project_id, up.version_id)
        project = pref.get(transaction=tx)  # every read before any write
        snap = vref.get(transaction=tx)
        others = {d.id: d.to_dict() for d in tx.get(pref.collection("versions").order_by("uploadedAt"))
                  if d.id != up.version_id}
        if snap.exists and snap.get("generation") == generation:
            doc = snap.to_dict()
        else:
            doc = {"file": object_name, "fileName": up.file, "uid": up.uid,
                   "generation": generation, "contentHash": content_hash, "size": size,
                   "contentType": content_type, "uploadedAt": uploaded_at, "pages": None,
                   "sheets": [], "status": "uploaded", "createdAt": now(), "updatedAt": now()}
            same = sorted(k for k, v in others.items() if v.get("contentHash") == content_hash)
            if same:
                doc.update(status="duplicate", duplicateOf=same[0])
            tx.set(vref, doc)
        if project.exists:
            tx.update(pref, {"updatedAt": now()})
        else:
            tx.set(pref, {"owner": up.uid, "members": [up.uid], "name": up.project_id,
                          "createdAt": now(), "updatedAt": now()})

        def order(item):
            return (item[1].get("uploadedAt") or 0, str(item[1].get("generation")))

        mine = (doc["uploadedAt"], str(generation))
        usable = [(k, v) for k, v in others.items()
                  if v.get("status") not in ("duplicate", "failed", "deleted")]
        before = [kv for kv in usable if order(kv) < mine]
        after = [kv for kv in usable if order(kv) > mine]
        return dict(doc, _previous=max(before, key=order)[0] if before else None,
                    _next=min(after, key=order)[0] if after else None)

    return run(db().transaction(max_attempts=20))


def get_version(project_id: str, version_id: str) -> dict:
    snap = version_ref(project_id, version_id).get()
    if not snap.exists:
        raise LookupError(f"version {version_id} of project {project_id} does not exist")
    return snap.to_dict()


def update_version(project_id: str, version_id: str, **fields) -> None:
    version_ref(project_id, version_id).update(dict(fields, updatedAt=now()))


def page_docs(project_id: str, version_id: str) -> list[dict]:
    """The prepared pages of a version, in page order."""
    ref = version_ref(project_id, version_id).collection("pages")
    return [d.to_dict() for d in ref.order_by("page").stream()]


def page_doc(project_id: str, version_id: str, page: int) -> dict:
    snap = page_ref(project_id, version_id, page).get()
    if not snap.exists:
        raise LookupError(f"page {page} of version {version_id} was not prepared")
    return snap.to_dict()


# --- jobs ---------------------------------------------------------------------------------

def new_stages() -> dict:
    return {s: {"status": "pending", "done": 0, "total": None, "startedAt": None,
                "finishedAt": None, "seconds": None} for s in STAGES}


def create_job(job_id: str, fields: dict) -> bool:
    """Create the job document; False when it already exists (the same comparison asked twice)."""
    from google.api_core.exceptions import AlreadyExists

    doc = {"status": QUEUED, "progress": 0.0, "stages": new_stages(), "error": None,
           "createdAt": now(), "updatedAt": now()}
    doc.update(fields)
    try:
        job_ref(job_id).create(doc)
        return True
    except AlreadyExists:
        return False


def get_job(job_id: str) -> dict:
    snap = job_ref(job_id).get()
    if not snap.exists:
        raise LookupError(f"job {job_id} does not exist")
    return snap.to_dict()


def update_job(job_id: str, fields: dict) -> None:
    """Update fields (dotted paths allowed: ``stages.diff.status``) and ``updatedAt``."""
    job_ref(job_id).update(dict(fields, updatedAt=now()))


def progress_of(stages: dict) -> float:
    """Overall progress 0..1 from the stages' counts (a finished stage counts in full)."""
    total = 0.0
    for name, weight in STAGE_WEIGHTS.items():
        st = stages.get(name) or {}
        if st.get("status") == "done":
            total += weight
        elif st.get("total"):
            total += weight * min(1.0, (st.get("done") or 0) / st["total"])
    return round(min(total, 1.0), 4)


def _with_progress(job: dict, stage: str, st: dict, update: dict) -> dict:
    """``update`` plus the job's progress once ``stage`` reads ``st`` (never going back;
    a finished job keeps its progress)."""
    if job["status"] not in TERMINAL:
        stages = dict(job["stages"], **{stage: st})
        update["progress"] = max(job.get("progress") or 0.0, progress_of(stages))
    return update


def set_stage(job_id: str, stage: str, status: str, **fields) -> None:
    """Move a stage to ``running`` or ``done`` (timings kept), recomputing progress."""
    fs = _fs()

    @fs.transactional
    def run(tx):
        ref = job_ref(job_id)
        job = ref.get(transaction=tx).to_dict()
        st = dict(job["stages"][stage])
        t = now()
        new = status
        if new == "running" and st.get("status") == "done":
            new = "done"  # a retried step does not reopen a finished stage
        if new == "running" and not st.get("startedAt"):
            st["startedAt"] = t
        if new == "done" and st.get("status") != "done":
            st["finishedAt"] = t
            st["seconds"] = round(t - (st.get("startedAt") or t), 3)
        st["status"] = new
        st.update(fields)
        tx.update(ref, _with_progress(job, stage, st, {f"stages.{stage}": st, "updatedAt": t}))

    run(db().transaction())


def write_once_and_count(job_id: str, stage: str, ref, doc: dict) -> bool:
    """Write ``doc`` at ``ref`` and, when ``ref`` did not hold a finished result before, count
    one more ``done`` in ``stage`` of the job; one transaction, so a retry never counts twice.
    Returns True when counted."""
    fs = _fs()

    @fs.transactional
    def run(tx):
        before = ref.get(transaction=tx)
        jref = job_ref(job_id)
        job = jref.get(transaction=tx).to_dict()
        counted = not (before.exists and (before.to_dict() or {}).get("final"))
        tx.set(ref, dict(doc, final=True, updatedAt=now()))
        if counted:
            st = dict(job["stages"][stage])
            st["done"] = (st.get("done") or 0) + 1
            tx.update(jref, _with_progress(job, stage, st, {f"stages.{stage}.done": st["done"],
                                                            "updatedAt": now()}))
        return counted

    return run(db().transaction(max_attempts=30))


def finish_job(job_id: str, status: str, **fields) -> dict:
    """Move a job to a terminal status unless it already is in one (a cancel wins over a
    late failure or success). Returns the job as it ends up."""
    fs = _fs()

    @fs.transactional
    def run(tx):
        ref = job_ref(job_id)
        job = ref.get(transaction=tx).to_dict()
        if job["status"] in TERMINAL:
            return job
        update = dict(fields, status=status, updatedAt=now(), finishedAt=now())
        if status == SUCCEEDED:
            update["progress"] = 1.0
        tx.update(ref, update)
        job.update(update)
        return job

    return run(db().transaction())


def mark_running(job_id: str) -> str:
    """queued → running in one transaction (a cancel arriving meanwhile is never
    overwritten); returns the status the job ends up with."""
    fs = _fs()

    @fs.transactional
    def run(tx):
        ref = job_ref(job_id)
        job = ref.get(transaction=tx).to_dict()
        if job["status"] == QUEUED:
            tx.update(ref, {"status": RUNNING, "startedAt": now(), "updatedAt": now()})
            return RUNNING
        return job["status"]

    return run(db().transaction())


def cancel_job(job_id: str, by: str | None = None, reason: str = "cancelled by the user") -> dict:
    """Ask a job to stop: every step checks the status when it starts, so the workflow stops
    at the next step boundary (a diff already running finishes its one sheet)."""
    return finish_job(job_id, CANCELLED, error={"reason": reason, "by": by})


def sheet_docs(job_id: str) -> dict[str, dict]:
    return {d.id: d.to_dict() for d in job_ref(job_id).collection("sheets").stream()}
