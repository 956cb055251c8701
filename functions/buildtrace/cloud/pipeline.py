"""The steps of a comparison job, as the workflow (workflows/compare.yaml) calls them.

Each step takes a small JSON body (``jobId`` and what the step needs), reads its inputs
from GCS and Firestore, calls the engine, writes its results, and returns a small JSON
answer the workflow branches on. Steps are idempotent: deterministic document ids and
object names, and counters that move once per first write (see ``store``).

A step raises :class:`JobCancelled` (HTTP 409) when the job was cancelled, so the workflow
stops between steps; :class:`StepFailed` (HTTP 422) for input that can never work (an
encrypted set), which fails the job with that reason. A sheet that cannot be compared
fails that sheet only: its document says why, and the job goes on.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import tempfile

import numpy as np

from ..engine.compare import CHANGE_GROUPS, PairOptions
from ..engine.compare_sets import (assemble_report, compare_one, pair_entry, pair_name,
                                   sheet_previews, sheet_row)
from ..engine.drawing_set import open_set
from ..engine.errors import BuildTraceError
from ..engine.identify import SheetIdentity, identify_page
from ..engine.pairing import Pairing, SheetPair, page_fingerprint, pair_sheets
from . import executions, storage, store
from .config import settings
from .log import log
from .paths import parse_upload, results_prefix, sheet_prefix, version_prefix

SIDES = ("old", "new")
#: Long side of a page thumbnail, pixels (the page's sheet list and the pairing view).
THUMBNAIL_PX = 480
#: A sheet document keeps at most this many changes; the full list is in the sheet's JSON
#: in the bucket (a Firestore document holds at most 1 MiB).
MAX_CHANGES_IN_DOC = 400


class JobCancelled(Exception):
    """The job was cancelled; the step did nothing."""


class StepFailed(Exception):
    """Input that no retry can fix; the job fails with this reason."""


# --- upload -> version -> job -------------------------------------------------------------

def handle_upload(obj: dict) -> dict:
    """A finalized object in the bucket (the GCS object resource of the CloudEvent).

    Records the version; when the project has an earlier version, starts a comparison of
    the two (desktop sync needs no other call). A repeated event, a repeated file and an
    object outside ``uploads/`` start nothing."""
    name, bucket = obj.get("name", ""), obj.get("bucket")
    up = parse_upload(name)
    if up is None or bucket != settings().bucket:
        log("upload ignored: not under uploads/{uid}/{projectId}/{versionId}/",
            object=name, bucket=bucket)
        return {"ignored": True}
    generation = str(obj.get("generation", ""))
    event_key = hashlib.sha1(f"{bucket}/{name}#{generation}".encode()).hexdigest()
    if store.event_handled(event_key):
        log("duplicate finalize event ignored", object=name, generation=generation)
        return {"duplicateEvent": True}
    answer = _record_upload(obj, up, name, generation)
    store.mark_event_handled(event_key, {"object": name, "generation": generation,
                                         "jobId": answer.get("jobId")})
    return answer


def _record_upload(obj: dict, up, name: str, generation: str) -> dict:
    content_hash = obj.get("md5Hash") or f"crc32c:{obj.get('crc32c')}:{obj.get('size')}"
    uploaded_at = _timestamp(obj.get("timeCreated")) or store.now()
    version = store.record_version(up, name, generation, content_hash, int(obj.get("size", 0)),
                                   obj.get("contentType"), uploaded_at)
    answer = {"projectId": up.project_id, "versionId": up.version_id,
              "status": version["status"], "jobId": None}
    if version["status"] == "duplicate":
        log("identical file: not processed again", project=up.project_id,
            version=up.version_id, duplicate_of=version.get("duplicateOf"))
        answer["duplicateOf"] = version.get("duplicateOf")
        return answer
    # uploads may arrive out of order (a sync tool sending two versions at once): the new
    # version is compared with the one before it, and the one after it with it
    jobs = []
    if version["_previous"]:
        jobs.append(start_comparison(up.project_id, version["_previous"], up.version_id,
                                     up.uid, trigger="upload"))
    if version["_next"]:
        jobs.append(start_comparison(up.project_id, up.version_id, version["_next"], up.uid,
                                     trigger="upload"))
    answer["jobId"] = jobs[0] if jobs else None
    answer["jobIds"] = jobs
    return answer


def job_id_for(project_id: str, old_version: str, new_version: str) -> str:
    """The automatic comparison of two versions has one id, so it is started once."""
    return hashlib.sha1(f"{project_id}/{old_version}/{new_version}".encode()).hexdigest()[:20]


def start_comparison(project_id: str, old_version: str, new_version: str, owner: str, *,
                     trigger: str, job_id: str | None = None, options: dict | None = None) -> str:
    """Create the job document (queued) and start a workflow execution for it; a job that
    already exists is not started again."""
    job_id = job_id or job_id_for(project_id, old_version, new_version)
    created = store.create_job(job_id, {
        "ownerUid": owner, "projectId": project_id, "oldVersion": old_version,
        "newVersion": new_version, "trigger": trigger,
        "options": dict({"dpi": settings().dpi}, **(options or {}))})
    if not created:
        log("job exists; not started again", job=job_id)
        return job_id
    try:
        execution = executions.start(job_id)
    except Exception as exc:  # the job must not sit queued forever
        store.finish_job(job_id, store.FAILED,
                         error={"reason": f"the workflow could not be started: {exc}"})
        raise
    store.update_job(job_id, {"execution": execution})
    log("comparison started", job=job_id, project=project_id, old=old_version,
        new=new_version, execution=execution)
    return job_id


# --- workflow steps -----------------------------------------------------------------------

def active_job(job_id: str) -> dict:
    job = store.get_job(job_id)
    if job["status"] == store.CANCELLED:
        raise JobCancelled(job_id)
    return job


def start_job(body: dict) -> dict:
    job_id = body["jobId"]
    active_job(job_id)
    if store.mark_running(job_id) == store.CANCELLED:
        raise JobCancelled(job_id)
    store.set_stage(job_id, "prepare", "running")
    return {"status": store.RUNNING}


def inspect_set(body: dict) -> dict:
    """Open one side's set: page count and sizes, and the page batches to identify (none
    when the version was prepared by an earlier job: a version is prepared once)."""
    job_id, side = body["jobId"], _side(body)
    job = active_job(job_id)
    project, version_id = job["projectId"], job[f"{side}Version"]
    version = store.get_version(project, version_id)
    path = storage.fetch(version["file"], version["contentHash"])
    try:
        with open_set(path) as s:
            n = len(s)
    except BuildTraceError as exc:
        store.update_version(project, version_id, status="failed", error=exc.message)
        raise StepFailed(f"the {side} set ({version['fileName']}) cannot be read: "
                         f"{exc.message}") from exc
    prepared = version.get("status") == "ready" and version.get("pages") == n
    if not prepared:
        store.update_version(project, version_id, pages=n, status="preparing")
    batch = settings().identify_batch
    batches = [] if prepared else [[i, min(n, i + batch) - 1] for i in range(0, n, batch)]
    store.update_job(job_id, {f"stages.prepare.pages.{side}": n})
    _recount_prepare(job_id)
    return {"pages": n, "batches": batches}


def identify_pages(body: dict) -> dict:
    """Identify pages ``first``..``last`` of one side: number and title, visual fingerprint
    and thumbnail, one page document each (the per-page OCR fan-out of the design)."""
    job_id, side = body["jobId"], _side(body)
    first, last = int(body["first"]), int(body["last"])
    job = active_job(job_id)
    project, version_id = job["projectId"], job[f"{side}Version"]
    version = store.get_version(project, version_id)
    path = storage.fetch(version["file"], version["contentHash"])
    from ..engine.ocr import default_recognizer

    done = 0
    with open_set(path) as s:
        for index in range(first, min(last, len(s) - 1) + 1):
            doc = _prepare_page(s, index, project, version_id, default_recognizer())
            store.page_ref(project, version_id, index).set(doc)
            done += 1
    _recount_prepare(job_id)
    return {"pages": done}


def _prepare_page(s, index: int, project: str, version_id: str, recognizer) -> dict:
    """One page's document: identity, fingerprint (float16, 96×64) and thumbnail path."""
    import cv2

    doc = {"page": index, "error": None, "fingerprint": None, "thumbnail": None}
    try:
        page = s.page(index)
        doc["sizePt"] = list(page.size_pt)
        ident = identify_page(page, recognizer=recognizer)
        doc["fingerprint"] = page_fingerprint(page).astype(np.float16).tobytes()
        thumb = page.render(max_pixels=int(THUMBNAIL_PX * THUMBNAIL_PX * min(page.size_pt)
                                           / max(page.size_pt)))
        ok, png = cv2.imencode(".png", thumb)
        name = f"{version_prefix(project, version_id)}/thumbs/{index:05d}.png"
        doc["thumbnail"] = storage.put_bytes(png.tobytes(), name, "image/png")
    except BuildTraceError as exc:
        ident = SheetIdentity(index, None, None, None, "none", 0.0,
                              notes=[f"refused: {exc.message}"])
        doc["error"] = exc.message
    doc["identity"] = ident.to_dict()
    return doc


def _recount_prepare(job_id: str) -> None:
    """The prepare stage's counts: pages of both sets, and pages with a document."""
    job = store.get_job(job_id)
    pages = (job["stages"]["prepare"].get("pages") or {})
    total = sum(v for v in pages.values() if v)
    done = 0
    for side in SIDES:
        if pages.get(side):
            ref = store.version_ref(job["projectId"], job[f"{side}Version"]).collection("pages")
            done += ref.count().get()[0][0].value
    store.set_stage(job_id, "prepare", "running", total=total, done=done)


def pair_job(body: dict) -> dict:
    """Pair the sheets of the two prepared sets; the answer lists the pair keys and whether
    the diffs go to the Cloud Run job (more pairs than ``BUILDTRACE_JOB_THRESHOLD``)."""
    job_id = body["jobId"]
    job = active_job(job_id)
    store.set_stage(job_id, "prepare", "done")
    store.set_stage(job_id, "pair", "running", total=1)
    idents, prints = {}, {}
    for side in SIDES:
        project, version_id = job["projectId"], job[f"{side}Version"]
        docs = store.page_docs(project, version_id)
        version = store.get_version(project, version_id)
        if len(docs) != version.get("pages"):
            raise StepFailed(f"the {side} set was not fully prepared ({len(docs)} of "
                             f"{version.get('pages')} pages)")
        idents[side] = [SheetIdentity.from_dict(d["identity"]) for d in docs]
        prints[side] = {d["page"]: _fingerprint(d) for d in docs}
        store.update_version(project, version_id, status="ready",
                             sheets=[sheet_row(i) for i in idents[side]])
    explicit = [tuple(p) for p in (job.get("options") or {}).get("pairs", [])]
    pairing = pair_sheets(idents["old"], idents["new"], explicit=explicit,
                          thumbnails=lambda side, p: prints[side][p])
    keys = [pair_name(p) for p in pairing.pairs]
    s = settings()
    use_job = len(keys) > s.job_threshold
    tasks = max(1, math.ceil(len(keys) / s.pairs_per_task))
    store.update_job(job_id, {"pairing": dict(pairing.to_dict(), keys=keys),
                              "diffRunner": "cloud-run-job" if use_job else "function"})
    store.set_stage(job_id, "pair", "done", done=1)
    store.set_stage(job_id, "diff", "running", total=len(keys))
    return {"keys": keys, "useJob": use_job, "tasks": tasks}


def diff_pair(body: dict) -> dict:
    """Compare one pair and store its results: images under ``results/{jobId}/sheets/{key}/``
    and the sheet document ``jobs/{jobId}/sheets/{key}`` (the pair's entry of report.json,
    image names as object names). A sheet that cannot be compared is stored as failed."""
    job_id, key = body["jobId"], body["key"]
    job = active_job(job_id)
    prefix = sheet_prefix(job_id, key)
    entry = _compare_stored(job, key, prefix)
    entry["key"] = key
    storage.put_bytes(json.dumps(entry).encode(), f"{prefix}.json", "application/json")
    doc = to_firestore(entry)
    if len(doc.get("changes") or []) > MAX_CHANGES_IN_DOC:
        doc["changes"] = doc["changes"][:MAX_CHANGES_IN_DOC]
        doc["changesTruncated"] = True
    layers = doc.get("text_layers") or {}
    if len(layers.get("unconfirmed") or []) > MAX_CHANGES_IN_DOC:  # the rest in resultsJson
        layers["unconfirmed"] = layers["unconfirmed"][:MAX_CHANGES_IN_DOC]
        layers["unconfirmedTruncated"] = True
    doc["resultsJson"] = f"{prefix}.json"
    store.write_once_and_count(job_id, "diff", store.sheet_ref(job_id, key), doc)
    log("sheet compared", job=job_id, sheet=key, status=entry.get("status"),
        changes=len(entry.get("changes") or []), error=entry.get("error"))
    return {"key": key, "status": entry.get("status")}


def _compare_stored(job: dict, key: str, prefix: str, matrix=None) -> dict:
    """Compare pair ``key`` of ``job`` from the stored sets and identities, upload its images
    under ``prefix``, and return its report entry with object names. A sheet that cannot
    be compared comes back with ``status: failed`` and the reason."""
    pairing = Pairing.from_dict(job["pairing"])
    try:
        pair = pairing.pairs[job["pairing"]["keys"].index(key)]
    except ValueError:
        raise StepFailed(f"the job has no pair {key!r}") from None
    project = job["projectId"]
    files, idents = {}, {}
    for side, page in (("old", pair.old_page), ("new", pair.new_page)):
        version = store.get_version(project, job[f"{side}Version"])
        files[side] = storage.fetch(version["file"], version["contentHash"])
        idents[side] = SheetIdentity.from_dict(
            store.page_doc(project, job[f"{side}Version"], page)["identity"])
    options = PairOptions(dpi=float((job.get("options") or {}).get("dpi", settings().dpi)))
    work = tempfile.mkdtemp(prefix="bt-diff-")
    try:
        result = compare_one(files["old"], files["new"], pair, idents["old"], idents["new"],
                             work, options, matrix=matrix)
        storage.put_tree(work, prefix)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return _with_object_names(pair_entry(pair, result, idents["new"]), prefix)


def rediff_with_matrix(job_id: str, key: str, matrix, *, by: str | None = None,
                       points: dict | None = None) -> dict:
    """Compare one pair again with a user's alignment (2×3, old-sheet points to new-sheet
    points). The result goes beside the automatic one: images under
    ``results/{jobId}/sheets/{key}/manual/`` and the field ``manual`` of the sheet document
    (the automatic ``alignment``, ``changes`` and ``overlay`` stay as they were)."""
    job = store.get_job(job_id)
    entry = _compare_stored(job, key, f"{sheet_prefix(job_id, key)}/manual",
                            np.asarray(matrix, float))
    manual = to_firestore({k: entry.get(k) for k in ("status", "error", "alignment", "changes",
                                                     *CHANGE_GROUPS[1:], "overlay",
                                                     "summary")})
    # picked points as {x, y} maps (Firestore holds no array inside an array)
    manual.update(by=by, at=store.now(), points={
        side: [{"x": float(x), "y": float(y)} for x, y in pts]
        for side, pts in (points or {}).items()} or None)
    store.sheet_ref(job_id, key).update({"manual": manual, "updatedAt": store.now()})
    return from_firestore(manual)


def add_manual_pair(job_id: str, old_page: int, new_page: int) -> str:
    """Pair two pages the engine left unpaired (old in ``removed_pages``, new in
    ``added_pages``); returns the new pair's key. The caller compares it."""
    fs = store._fs()

    @fs.transactional
    def run(tx):
        ref = store.job_ref(job_id)
        job = ref.get(transaction=tx).to_dict()
        p = dict(job["pairing"])
        if old_page not in p["removed_pages"]:
            raise StepFailed(f"old page {old_page} is not unpaired in this job")
        if new_page not in p["added_pages"]:
            raise StepFailed(f"new page {new_page} is not unpaired in this job")
        pair = {"old_page": old_page, "new_page": new_page, "old_number": None,
                "new_number": None, "method": "user", "confidence": 1.0, "renumbered": False}
        key = pair_name(SheetPair.from_dict(pair))
        p["pairs"] = p["pairs"] + [pair]
        p["keys"] = p["keys"] + [key]
        p["removed_pages"] = [x for x in p["removed_pages"] if x != old_page]
        p["added_pages"] = [x for x in p["added_pages"] if x != new_page]
        tx.update(ref, {"pairing": p, "stages.diff.total": len(p["keys"]),
                        "updatedAt": store.now()})
        return key

    return run(store.db().transaction())


def remove_pair(job_id: str, key: str) -> None:
    """Unpair a pair: its pages become unpaired (removed / added) and its sheet document
    goes."""
    fs = store._fs()

    @fs.transactional
    def run(tx):
        ref = store.job_ref(job_id)
        sref = store.sheet_ref(job_id, key)
        job = ref.get(transaction=tx).to_dict()
        sheet = sref.get(transaction=tx)
        p = dict(job["pairing"])
        i = p["keys"].index(key)
        pair = p["pairs"][i]
        p["pairs"] = p["pairs"][:i] + p["pairs"][i + 1:]
        p["keys"] = p["keys"][:i] + p["keys"][i + 1:]
        p["removed_pages"] = sorted(p["removed_pages"] + [pair["old_page"]])
        p["added_pages"] = sorted(p["added_pages"] + [pair["new_page"]])
        done = job["stages"]["diff"].get("done") or 0
        if sheet.exists and (sheet.to_dict() or {}).get("final"):
            done -= 1
        tx.update(ref, {"pairing": p, "stages.diff.total": len(p["keys"]),
                        "stages.diff.done": max(0, done), "updatedAt": store.now()})
        tx.delete(sref)

    run(store.db().transaction())


def summarise(body: dict) -> dict:
    """The set summary and ``report.json`` (``buildtrace.report/1``) from the sheet
    documents; a pair without a document (its diff was lost) is reported failed."""
    job_id = body["jobId"]
    job = active_job(job_id)
    store.set_stage(job_id, "diff", "done")
    store.set_stage(job_id, "summary", "running", total=1)
    report = build_report(job_id, job)
    name = f"{results_prefix(job_id)}/report.json"
    storage.put_bytes(json.dumps(report, indent=1).encode(), name, "application/json")
    pdf = write_report_pdf(job_id, report)
    failed = [p["key"] for p in report["pairs"] if p.get("status") == "failed"]
    store.update_job(job_id, {"summary": report["summary"], "report": name, "reportPdf": pdf,
                              "counts": {"pairs": len(report["pairs"]), "failed": len(failed),
                                         "added": len(report["added_pages"]),
                                         "removed": len(report["removed_pages"]),
                                         "changed": sum(1 for p in report["pairs"]
                                                        if p.get("changes"))}})
    store.set_stage(job_id, "summary", "done", done=1)
    return {"pairs": len(report["pairs"]), "failed": failed}


def write_report_pdf(job_id: str, report: dict) -> str:
    """``results/{jobId}/report.pdf``: the CLI's report (cover with the set summary, a page
    per changed sheet with its clouds, its changes' crops; the sheets of a pair that could not
    be aligned), drawn from the images in the results bucket."""
    from ..engine.report import MAX_DETAIL_CHANGES, write_pdf

    work = tempfile.mkdtemp(prefix="bt-report-")
    try:
        for p in report["pairs"]:
            ov = p.get("overlay")
            names = list((p.get("sheet_views") or {}).values())  # a pair not aligned
            if p.get("changes") and ov and ov.get("preview"):
                names += [ov["preview"]] + [c["crops"][k]
                                            for c in p["changes"][:MAX_DETAIL_CHANGES]
                                            for k in ("old", "new")
                                            if (c.get("crops") or {}).get(k)]
            for name in names:
                _download(name, work)
        for key in ("added_sheets", "removed_sheets"):  # shown whole in the PDF too
            for sheet in report.get(key) or []:
                if sheet.get("preview"):
                    _download(sheet["preview"], work)
        path = os.path.join(work, "report.pdf")
        write_pdf(report, work, path)
        return storage.put_file(path, f"{results_prefix(job_id)}/report.pdf")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _download(name: str, work: str) -> None:
    """Object ``name`` of the results bucket to ``work/name``."""
    local = os.path.join(work, name)
    os.makedirs(os.path.dirname(local), exist_ok=True)
    storage.results().blob(name).download_to_filename(local)


def build_report(job_id: str, job: dict) -> dict:
    pairing = Pairing.from_dict(job["pairing"])
    sheets = store.sheet_docs(job_id)
    idents = {}
    for side in SIDES:
        idents[side] = [SheetIdentity.from_dict(d["identity"])
                        for d in store.page_docs(job["projectId"], job[f"{side}Version"])]
    new_by = {i.page: i for i in idents["new"]}
    entries = []
    for pair, key in zip(pairing.pairs, job["pairing"]["keys"]):
        doc = sheets.get(key)
        if doc is None:
            doc = pair_entry(pair, {"status": "failed", "error": "the sheet was not compared "
                                    "(its diff step did not finish)",
                                    **{g: [] for g in CHANGE_GROUPS}, "overlay": None, "alignment": None,
                                    "summary": "Not compared."},
                             new_by[pair.new_page])
            doc["key"] = key
        elif doc.get("changesTruncated"):
            doc = json.loads(storage.get_bytes(doc["resultsJson"]))
        doc = from_firestore({k: v for k, v in doc.items() if k not in ("final", "updatedAt")})
        entries.append(doc)
    files = {side: storage.gs_url(store.get_version(job["projectId"], job[f"{side}Version"])
                                  ["file"]) for side in SIDES}
    opts = job.get("options") or {}
    report = assemble_report(files["old"], files["new"], idents["old"], idents["new"], pairing,
                             entries, PairOptions(dpi=float(opts.get("dpi", settings().dpi))),
                             previews=_unpaired_previews(job_id, job, pairing))
    report["job"] = job_id
    return report


def _unpaired_previews(job_id: str, job: dict, pairing: Pairing) -> dict:
    """Preview images of the sheets only one set has, made as the CLI makes them
    (``sheet_previews``) and stored as ``results/{jobId}/added-pNNN.png`` and
    ``removed-pNNN.png``: object names by (side, page). The sets are fetched only when a
    sheet was added or removed."""
    if not pairing.added and not pairing.removed:
        return {}
    paths = {}
    for side in SIDES:
        version = store.get_version(job["projectId"], job[f"{side}Version"])
        paths[side] = storage.fetch(version["file"], version["contentHash"])
    work = tempfile.mkdtemp(prefix="bt-previews-")
    try:
        made = sheet_previews(paths["old"], paths["new"], pairing, work)
        return {key: storage.put_file(os.path.join(work, name),
                                      f"{results_prefix(job_id)}/{name}")
                for key, name in made.items()}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def finalize(body: dict) -> dict:
    job_id = body["jobId"]
    active_job(job_id)
    store.set_stage(job_id, "finalize", "running", total=1)
    store.set_stage(job_id, "finalize", "done", done=1)
    job = store.finish_job(job_id, store.SUCCEEDED)
    log("job finished", job=job_id, status=job["status"])
    return {"status": job["status"]}


def fail_job(body: dict) -> dict:
    """The workflow's error handler: the job fails with a readable reason, unless it was
    cancelled (then it stays cancelled and the answer says so)."""
    job_id = body["jobId"]
    reason = describe_error(body.get("error"))
    job = store.finish_job(job_id, store.FAILED, error={"reason": reason,
                                                        "step": body.get("step")})
    log("job failed" if job["status"] == store.FAILED else "job stopped", severity="ERROR"
        if job["status"] == store.FAILED else "INFO", job=job_id, reason=reason)
    return {"status": job["status"]}


def describe_error(err) -> str:
    """A sentence from a Workflows error map (an HTTP error carries the step's JSON answer;
    a parallel step's error lists its branches)."""
    if not isinstance(err, dict):
        return str(err or "unknown error")
    body = err.get("body")
    if isinstance(body, dict) and body.get("error"):
        return str(body["error"])
    for branch in err.get("branches") or []:
        inner = (branch.get("error") or {}).get("payload")
        if inner:
            return describe_error(inner)
    return str(err.get("message") or err)


# --- helpers ------------------------------------------------------------------------------

def _side(body: dict) -> str:
    side = body.get("side")
    if side not in SIDES:
        raise ValueError("side must be 'old' or 'new'")
    return side


def _fingerprint(doc: dict) -> np.ndarray | None:
    raw = doc.get("fingerprint")
    if not raw:
        return np.zeros((64, 96), np.float32)
    return np.frombuffer(raw, np.float16).astype(np.float32).reshape(64, 96)


def to_firestore(entry: dict) -> dict:
    """A pair entry as a Firestore document: Firestore holds no array inside an array, so
    ``alignment.matrix`` is stored flat, row-major ``[a, b, c, d, e, f]`` (old-sheet points
    to new-sheet points, as in report.json), and a re-scan's ``alignment.stretch`` keeps
    its ``dx`` and ``dy`` grids flat, row-major, with their ``rows``. Any other nested array
    is a bug: it raises."""
    doc = json.loads(json.dumps(entry))
    al = doc.get("alignment")
    if isinstance(al, dict) and isinstance(al.get("matrix"), list):
        al["matrix"] = [v for row in al["matrix"] for v in row]
    stretch = al.get("stretch") if isinstance(al, dict) else None
    if isinstance(stretch, dict) and isinstance(stretch.get("dx"), list):
        stretch["rows"] = len(stretch["dx"])
        for key in ("dx", "dy"):
            stretch[key] = [v for row in stretch[key] for v in row]
    _check_no_nested_arrays(doc, "sheet")
    return doc


def from_firestore(doc: dict) -> dict:
    """The inverse of :func:`to_firestore` (the matrix back to 2×3 rows, the stretch's
    grids back to rows)."""
    al = doc.get("alignment")
    if isinstance(al, dict) and isinstance(al.get("matrix"), list) and len(al["matrix"]) == 6:
        al["matrix"] = [al["matrix"][:3], al["matrix"][3:]]
    stretch = al.get("stretch") if isinstance(al, dict) else None
    if isinstance(stretch, dict) and "rows" in stretch:
        rows = stretch.pop("rows")
        for key in ("dx", "dy"):
            flat = stretch[key]
            cols = len(flat) // rows if rows else 0
            stretch[key] = [flat[r * cols:(r + 1) * cols] for r in range(rows)]
    return doc


def _check_no_nested_arrays(value, where: str) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _check_no_nested_arrays(v, f"{where}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            if isinstance(v, list):
                raise TypeError(f"{where}[{i}] is an array inside an array (not storable)")
            _check_no_nested_arrays(v, f"{where}[{i}]")


def _with_object_names(entry: dict, prefix: str) -> dict:
    """Image file names in a pair entry become object names under ``prefix``."""
    def fix(name):
        return f"{prefix}/{name}" if isinstance(name, str) and name else name

    ov = entry.get("overlay")
    if isinstance(ov, dict):
        entry["overlay"] = {k: (fix(v) if k in ("png", "dzi", "preview", "old", "new") else v)
                            for k, v in ov.items()}
    if isinstance(entry.get("sheet_views"), dict):  # a pair that could not be aligned
        entry["sheet_views"] = {k: fix(v) for k, v in entry["sheet_views"].items()}
    for group in CHANGE_GROUPS:
        for c in entry.get(group) or []:
            if isinstance(c.get("crops"), dict):
                c["crops"] = {k: fix(v) for k, v in c["crops"].items()}
    return entry


def _timestamp(rfc3339: str | None) -> float | None:
    if not rfc3339:
        return None
    from datetime import datetime

    try:
        return datetime.fromisoformat(rfc3339.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None
