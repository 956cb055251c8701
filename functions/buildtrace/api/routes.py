"""The routes of ``/api/v1``: one table (``ROUTES``) that the Flask app dispatches on and
the OpenAPI document describes.

A handler gets ``(ctx, **path_params)``; ``ctx.user`` is authenticated, ``ctx.body`` is
validated against the route's schema. Access is by project: ``_project`` and ``_job``
answer 404 for anything the user is not an owner or member of.
"""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass, field

from ..cloud import pipeline, signing, storage, store
from ..engine.compare import CHANGE_GROUPS
from ..cloud.paths import upload_path
from . import auth
from .errors import ApiError, bad_request, not_found

ID = r"[A-Za-z0-9_.\-]{1,128}"
REVIEW_STATES = ("open", "accepted", "rejected", "on_hold")


@dataclass
class Route:
    method: str
    path: str  # OpenAPI style: /projects/{projectId}
    handler: object
    summary: str
    body: dict | None = None
    status: int = 200
    write: bool = False
    tag: str = "misc"
    raw: bool = False  # the handler returns a Flask response itself


@dataclass
class Ctx:
    user: auth.User
    body: dict = field(default_factory=dict)
    query: dict = field(default_factory=dict)


ROUTES: list[Route] = []


def route(method, path, summary, *, body=None, status=200, tag="misc", raw=False):
    def deco(fn):
        ROUTES.append(Route(method, path, fn, summary, body, status,
                            method in ("POST", "PUT", "PATCH", "DELETE"), tag, raw))
        return fn
    return deco


# --- access -------------------------------------------------------------------------------

def _project(ctx: Ctx, project_id: str, *, owner: bool = False) -> dict:
    """The project if the user may see it (owner only when ``owner``), else 404."""
    if not re.fullmatch(ID, project_id):
        raise not_found("no such project")
    snap = store.project_ref(project_id).get()
    doc = snap.to_dict() if snap.exists else None
    if doc is None or doc.get("deleted") or ctx.user.uid not in (doc.get("members") or []):
        raise not_found("no such project")
    if owner and doc.get("owner") != ctx.user.uid:
        raise ApiError(403, "only the project's owner may do this")
    return dict(doc, id=project_id)


def _job(ctx: Ctx, job_id: str) -> dict:
    if not re.fullmatch(ID, job_id):
        raise not_found("no such job")
    snap = store.job_ref(job_id).get()
    if not snap.exists:
        raise not_found("no such job")
    job = dict(snap.to_dict(), id=job_id)
    try:
        _project(ctx, job["projectId"])
    except ApiError:
        raise not_found("no such job") from None
    return job


def _sheet(ctx: Ctx, job_id: str, key: str) -> tuple[dict, dict]:
    job = _job(ctx, job_id)
    snap = store.sheet_ref(job_id, key).get() if re.fullmatch(ID, key) else None
    if snap is None or not snap.exists:
        raise not_found("no such sheet in this job")
    return job, pipeline.from_firestore(snap.to_dict())


def audit(ctx: Ctx, action: str, target: str, **details) -> None:
    """Every write is recorded: who, what, when."""
    store.db().collection("audit").add({"uid": ctx.user.uid, "email": ctx.user.email,
                                        "action": action, "target": target,
                                        "details": details, "at": store.now()})


#: uid -> default project, per instance: the users document is read once, not per request.
_DEFAULT_PROJECTS: dict[str, str] = {}


def ensure_default_project(user: auth.User) -> str:
    """A new user gets a project named "My drawings" on their first call."""
    if user.uid in _DEFAULT_PROJECTS:
        return _DEFAULT_PROJECTS[user.uid]
    fs = store._fs()
    uref = store.db().collection("users").document(user.uid)

    @fs.transactional
    def run(tx):
        snap = uref.get(transaction=tx)
        if snap.exists:
            return snap.get("defaultProject")
        pid = f"p-{secrets.token_hex(8)}"
        tx.set(store.project_ref(pid), {"owner": user.uid, "members": [user.uid],
                                        "name": "My drawings", "createdAt": store.now(),
                                        "updatedAt": store.now()})
        tx.set(uref, {"email": user.email, "defaultProject": pid, "createdAt": store.now()})
        return pid

    _DEFAULT_PROJECTS[user.uid] = run(store.db().transaction())
    return _DEFAULT_PROJECTS[user.uid]


def _public(doc: dict, *drop: str) -> dict:
    return {k: v for k, v in doc.items() if k not in drop and not k.startswith("_")}


# --- me and projects ----------------------------------------------------------------------

NAME = {"type": "string", "minLength": 1, "maxLength": 200}


@route("GET", "/me", "The signed-in user and their default project", tag="projects")
def me(ctx):
    return {"uid": ctx.user.uid, "email": ctx.user.email,
            "defaultProject": ensure_default_project(ctx.user)}


@route("POST", "/projects", "Create a project", status=201, tag="projects",
       body={"type": "object", "required": ["name"], "additionalProperties": False,
             "properties": {"name": NAME}})
def create_project(ctx):
    pid = f"p-{secrets.token_hex(8)}"
    doc = {"owner": ctx.user.uid, "members": [ctx.user.uid], "name": ctx.body["name"],
           "createdAt": store.now(), "updatedAt": store.now()}
    store.project_ref(pid).set(doc)
    audit(ctx, "project.create", f"projects/{pid}", name=ctx.body["name"])
    return dict(doc, id=pid)


@route("GET", "/projects", "The projects the user owns or is a member of", tag="projects")
def list_projects(ctx):
    from google.cloud import firestore

    ensure_default_project(ctx.user)
    q = store.db().collection("projects").where(
        filter=firestore.FieldFilter("members", "array_contains", ctx.user.uid))
    out = [dict(d.to_dict(), id=d.id) for d in q.stream()]
    return {"projects": sorted((p for p in out if not p.get("deleted")),
                               key=lambda p: p.get("createdAt") or 0)}


@route("GET", "/projects/{projectId}", "One project", tag="projects")
def get_project(ctx, projectId):
    return _project(ctx, projectId)


@route("PATCH", "/projects/{projectId}", "Rename a project", tag="projects",
       body={"type": "object", "required": ["name"], "additionalProperties": False,
             "properties": {"name": NAME}})
def rename_project(ctx, projectId):
    _project(ctx, projectId)
    store.project_ref(projectId).update({"name": ctx.body["name"], "updatedAt": store.now()})
    audit(ctx, "project.rename", f"projects/{projectId}", name=ctx.body["name"])
    return _project(ctx, projectId)


@route("DELETE", "/projects/{projectId}", "Delete a project (owner only)", tag="projects")
def delete_project(ctx, projectId):
    _project(ctx, projectId, owner=True)
    store.project_ref(projectId).update({"deleted": True, "members": [],
                                         "deletedAt": store.now(), "deletedBy": ctx.user.uid})
    audit(ctx, "project.delete", f"projects/{projectId}")
    return {"deleted": projectId}


@route("POST", "/projects/{projectId}/members", "Add a member by email (owner only)",
       status=201, tag="projects",
       body={"type": "object", "required": ["email"], "additionalProperties": False,
             "properties": {"email": {"type": "string", "format": "email", "maxLength": 320}}})
def add_member(ctx, projectId):
    from google.cloud import firestore

    _project(ctx, projectId, owner=True)
    uid = auth.uid_for_email(ctx.body["email"])
    if uid is None:
        raise bad_request("no user has signed up with that email", "email")
    store.project_ref(projectId).update({"members": firestore.ArrayUnion([uid]),
                                         "updatedAt": store.now()})
    audit(ctx, "member.add", f"projects/{projectId}", member=uid)
    return _project(ctx, projectId)


@route("DELETE", "/projects/{projectId}/members/{memberUid}", "Remove a member (owner only)",
       tag="projects")
def remove_member(ctx, projectId, memberUid):
    from google.cloud import firestore

    project = _project(ctx, projectId, owner=True)
    if memberUid == project["owner"]:
        raise bad_request("the owner cannot be removed", "memberUid")
    if memberUid not in project["members"]:
        raise not_found("no such member")
    store.project_ref(projectId).update({"members": firestore.ArrayRemove([memberUid]),
                                         "updatedAt": store.now()})
    audit(ctx, "member.remove", f"projects/{projectId}", member=memberUid)
    return _project(ctx, projectId)


# --- versions -----------------------------------------------------------------------------

@route("GET", "/projects/{projectId}/versions", "The versions of a project", tag="versions")
def list_versions(ctx, projectId):
    _project(ctx, projectId)
    docs = store.project_ref(projectId).collection("versions").stream()
    out = [dict(_public(d.to_dict(), "sheets"), id=d.id) for d in docs]
    return {"versions": sorted(out, key=lambda v: v.get("uploadedAt") or 0)}


@route("GET", "/projects/{projectId}/versions/{versionId}",
       "One version with its sheets (numbers and titles)", tag="versions")
def get_version(ctx, projectId, versionId):
    _project(ctx, projectId)
    snap = store.version_ref(projectId, versionId).get() if re.fullmatch(ID, versionId) \
        else None
    if snap is None or not snap.exists:
        raise not_found("no such version")
    return dict(snap.to_dict(), id=versionId)


@route("POST", "/projects/{projectId}/uploads",
       "A signed URL to upload a version from the browser", status=201, tag="versions",
       body={"type": "object", "required": ["fileName", "contentType", "size"],
             "additionalProperties": False, "properties": {
                 "fileName": {"type": "string", "minLength": 1, "maxLength": 200,
                              "pattern": r"[^/\\\x00-\x1f]+"},
                 "contentType": {"type": "string", "enum": list(signing.UPLOAD_TYPES)},
                 "size": {"type": "integer", "minimum": 1,
                          "maximum": signing.MAX_UPLOAD_BYTES},
                 "versionId": {"type": "string", "pattern": ID}}})
def upload(ctx, projectId):
    _project(ctx, projectId)
    vid = ctx.body.get("versionId") or time.strftime("v%Y%m%d-%H%M%S-") + secrets.token_hex(3)
    if store.version_ref(projectId, vid).get().exists:
        raise ApiError(409, "that version exists: a new upload needs a new versionId")
    name = upload_path(ctx.user.uid, projectId, vid, ctx.body["fileName"])
    answer = signing.upload_url(name, ctx.body["contentType"], ctx.body["size"])
    audit(ctx, "upload.sign", name, size=ctx.body["size"])
    return dict(answer, versionId=vid)


@route("DELETE", "/projects/{projectId}/versions/{versionId}", "Delete a version",
       tag="versions")
def delete_version(ctx, projectId, versionId):
    get_version(ctx, projectId, versionId)
    store.version_ref(projectId, versionId).update({"status": "deleted",
                                                     "deletedAt": store.now()})
    audit(ctx, "version.delete", f"projects/{projectId}/versions/{versionId}")
    return {"deleted": versionId}


# --- jobs ---------------------------------------------------------------------------------

JOB_VIEW_DROP = ("pairing", "execution")


@route("POST", "/projects/{projectId}/jobs", "Compare two versions of a project",
       status=201, tag="jobs",
       body={"type": "object", "required": ["oldVersion", "newVersion"],
             "additionalProperties": False, "properties": {
                 "oldVersion": {"type": "string", "pattern": ID},
                 "newVersion": {"type": "string", "pattern": ID},
                 "dpi": {"type": "number", "minimum": 50, "maximum": 300}}})
def create_job(ctx, projectId):
    _project(ctx, projectId)
    for f in ("oldVersion", "newVersion"):
        v = store.version_ref(projectId, ctx.body[f]).get()
        if not v.exists or v.get("status") in ("deleted", "failed"):
            raise bad_request(f"{f}: no such version in this project", f)
    if ctx.body["oldVersion"] == ctx.body["newVersion"]:
        raise bad_request("newVersion must differ from oldVersion", "newVersion")
    job_id = f"j-{secrets.token_hex(10)}"
    options = {"dpi": ctx.body["dpi"]} if "dpi" in ctx.body else None
    pipeline.start_comparison(projectId, ctx.body["oldVersion"], ctx.body["newVersion"],
                              ctx.user.uid, trigger="api", job_id=job_id, options=options)
    audit(ctx, "job.create", f"jobs/{job_id}", old=ctx.body["oldVersion"],
          new=ctx.body["newVersion"])
    return _public(store.get_job(job_id), *JOB_VIEW_DROP) | {"id": job_id}


@route("GET", "/jobs", "The user's recent jobs (their projects, newest first)", tag="jobs")
def list_jobs(ctx):
    from google.cloud import firestore

    projects = [p["id"] for p in list_projects(ctx)["projects"]]
    jobs = []
    for i in range(0, len(projects), 30):  # Firestore "in" takes 30 values
        q = store.db().collection("jobs").where(
            filter=firestore.FieldFilter("projectId", "in", projects[i:i + 30]))
        jobs += [dict(_public(d.to_dict(), *JOB_VIEW_DROP), id=d.id) for d in q.stream()]
    jobs.sort(key=lambda j: j.get("createdAt") or 0, reverse=True)
    return {"jobs": jobs[:50]}


@route("GET", "/jobs/{jobId}", "One job: status, progress, stages, error", tag="jobs")
def get_job(ctx, jobId):
    return _public(_job(ctx, jobId), *JOB_VIEW_DROP)


@route("GET", "/jobs/{jobId}/stages", "A job's stages with counts and timings", tag="jobs")
def get_stages(ctx, jobId):
    job = _job(ctx, jobId)
    return {"status": job["status"], "progress": job["progress"], "stages": job["stages"]}


@route("GET", "/jobs/{jobId}/results", "The set summary and the sheet list", tag="jobs")
def get_results(ctx, jobId):
    job = _job(ctx, jobId)
    sheets = store.sheet_docs(jobId)
    rows = []
    for key in (job.get("pairing") or {}).get("keys", []):
        d = sheets.get(key) or {}
        rows.append({"key": key, "number": d.get("number"), "title": d.get("title"),
                     "old_page": d.get("old_page"), "new_page": d.get("new_page"),
                     "status": d.get("status", "pending"),
                     "changes": len(d.get("changes") or []),
                     "manual": bool(d.get("manual"))})
    pairing = job.get("pairing") or {}
    return {"status": job["status"], "summary": job.get("summary"), "counts": job.get("counts"),
            "sheets": rows, "added_pages": pairing.get("added_pages", []),
            "removed_pages": pairing.get("removed_pages", []),
            "renumbered": pairing.get("renumbered", [])}


@route("GET", "/jobs/{jobId}/sheets/{key}", "One sheet's results", tag="jobs")
def get_sheet(ctx, jobId, key):
    _job_doc, doc = _sheet(ctx, jobId, key)
    return _public(doc, "final")


@route("GET", "/jobs/{jobId}/identification", "How each page of both sets was identified",
       tag="jobs")
def get_identification(ctx, jobId):
    job = _job(ctx, jobId)
    out = {}
    for side in ("old", "new"):
        pages = store.page_docs(job["projectId"], job[f"{side}Version"])
        out[side] = [{"page": p["page"], "error": p.get("error"),
                      **{k: p["identity"].get(k) for k in ("number", "title", "source",
                                                           "confidence", "notes")}}
                     for p in pages]
    return out


@route("POST", "/jobs/{jobId}/cancel", "Cancel a job (it stops at the next step)",
       tag="jobs")
def cancel(ctx, jobId):
    _job(ctx, jobId)
    job = store.cancel_job(jobId, by=ctx.user.uid)
    audit(ctx, "job.cancel", f"jobs/{jobId}")
    return {"status": job["status"]}


@route("GET", "/jobs/{jobId}/report", "A signed URL of report.pdf", tag="jobs")
def report(ctx, jobId):
    job = _job(ctx, jobId)
    if not job.get("reportPdf"):
        raise ApiError(409, "the report is not ready: the job has not finished its summary")
    return {"url": signing.download_url(job["reportPdf"]), "expiresIn":
            int(signing.DOWNLOAD_TTL.total_seconds())}


# --- overlays -----------------------------------------------------------------------------

def _overlay_of(doc: dict, variant: str) -> dict | None:
    """A sheet's overlay: the automatic one, or with ``variant=manual`` the manual one."""
    return (doc.get("manual") or {}).get("overlay") if variant == "manual" \
        else doc.get("overlay")


@route("GET", "/jobs/{jobId}/sheets/{key}/overlay",
       "Signed URLs of a sheet's overlay images; tiles come through the tiles route",
       tag="overlays")
def overlay(ctx, jobId, key):
    _job_doc, doc = _sheet(ctx, jobId, key)
    variant = ctx.query.get("variant", "auto")
    ov = _overlay_of(doc, variant)
    if not ov:
        raise not_found("this sheet has no overlay")
    urls = {k: signing.download_url(ov[k]) for k in ("png", "preview", "old", "new", "dzi")
            if ov.get(k)}
    return {"urls": urls, "width_px": ov.get("width_px"), "height_px": ov.get("height_px"),
            "dpi": ov.get("dpi"),
            "tiles": f"/api/v1/jobs/{jobId}/sheets/{key}/tiles/{{level}}/{{col}}_{{row}}.png"
                     + ("?variant=manual" if variant == "manual" else "")}


@route("GET", "/jobs/{jobId}/sheets/{key}/tiles/{level}/{tile}", "One Deep Zoom tile (PNG)",
       tag="overlays", raw=True)
def tile(ctx, jobId, key, level, tile):
    from flask import Response

    _job_doc, doc = _sheet(ctx, jobId, key)
    ov = _overlay_of(doc, ctx.query.get("variant", "auto"))
    if not ov or not ov.get("dzi") or not re.fullmatch(r"\d{1,2}", level) \
            or not re.fullmatch(r"\d{1,4}_\d{1,4}\.png", tile):
        raise not_found("no such tile")
    name = f"{ov['dzi'][:-len('.dzi')]}_files/{int(level)}/{tile}"
    blob = storage.results().blob(name)
    try:
        data = blob.download_as_bytes()
    except Exception:  # noqa: BLE001 - a missing tile is a 404
        raise not_found("no such tile") from None
    return Response(data, mimetype="image/png",
                    headers={"Cache-Control": "private, max-age=3600"})


# --- manual alignment and pairing ---------------------------------------------------------

POINT = {"type": "array", "minItems": 2, "maxItems": 2,
         "items": {"type": "number", "minimum": -100000, "maximum": 100000}}
ALIGN_BODY = {"oneOf": [
    {"type": "object", "required": ["points"], "additionalProperties": False, "properties": {
        "points": {"type": "object", "required": ["old", "new"], "additionalProperties": False,
                   "properties": {"old": {"type": "array", "minItems": 2, "maxItems": 3,
                                          "items": POINT},
                                  "new": {"type": "array", "minItems": 2, "maxItems": 3,
                                          "items": POINT}}}}},
    {"type": "object", "required": ["matrix"], "additionalProperties": False, "properties": {
        "matrix": {"type": "array", "minItems": 2, "maxItems": 2,
                   "items": {"type": "array", "minItems": 3, "maxItems": 3,
                             "items": {"type": "number", "minimum": -100000,
                                       "maximum": 100000}}}}}]}


@route("PUT", "/jobs/{jobId}/sheets/{key}/alignment",
       "Align a sheet pair by 2-3 point pairs (PDF points, origin top-left, y down) or a "
       "2x3 matrix (old-sheet points to new-sheet points) and compare it again; the "
       "alignment starts from it and is refined on the sheets' ink like a found one "
       "(method user+phase), or is used as given when nothing confirms it (method user); "
       "the automatic result is kept beside it", tag="alignment", body=ALIGN_BODY)
def set_alignment(ctx, jobId, key):
    import numpy as np

    from ..engine.geometry import matrix_from_point_pairs

    _sheet(ctx, jobId, key)
    if "points" in ctx.body:
        pts = ctx.body["points"]
        if len(pts["old"]) != len(pts["new"]):
            raise bad_request("points.old and points.new need the same number of points",
                              "points.new")
        try:
            m = matrix_from_point_pairs(pts["old"], pts["new"])
        except ValueError as exc:
            raise bad_request(str(exc), "points") from None
    else:
        m = np.asarray(ctx.body["matrix"], float)
    if abs(np.linalg.det(m[:, :2])) < 1e-6:
        raise bad_request("the transform collapses the sheet (zero area)", "matrix")
    manual = pipeline.rediff_with_matrix(jobId, key, m, by=ctx.user.uid,
                                         points=ctx.body.get("points"))
    audit(ctx, "alignment.set", f"jobs/{jobId}/sheets/{key}", matrix=m.round(6).tolist()[0]
          + m.round(6).tolist()[1])
    return manual


@route("DELETE", "/jobs/{jobId}/sheets/{key}/alignment",
       "Drop a manual alignment (the automatic result stays)", tag="alignment")
def delete_alignment(ctx, jobId, key):
    from google.cloud import firestore

    _sheet(ctx, jobId, key)
    store.sheet_ref(jobId, key).update({"manual": firestore.DELETE_FIELD})
    audit(ctx, "alignment.delete", f"jobs/{jobId}/sheets/{key}")
    return {"deleted": "manual alignment"}


@route("POST", "/jobs/{jobId}/pairs", "Pair two sheets the engine left unpaired and compare "
       "them", status=201, tag="alignment",
       body={"type": "object", "required": ["oldPage", "newPage"],
             "additionalProperties": False,
             "properties": {"oldPage": {"type": "integer", "minimum": 0, "maximum": 100000},
                            "newPage": {"type": "integer", "minimum": 0, "maximum": 100000}}})
def add_pair(ctx, jobId):
    job = _job(ctx, jobId)
    if job["status"] not in store.TERMINAL:
        raise ApiError(409, "the job is still running: pair sheets once it has finished")
    key = pipeline.add_manual_pair(jobId, ctx.body["oldPage"], ctx.body["newPage"])
    pipeline.diff_pair({"jobId": jobId, "key": key})
    audit(ctx, "pair.add", f"jobs/{jobId}/sheets/{key}", old=ctx.body["oldPage"],
          new=ctx.body["newPage"])
    return get_sheet(ctx, jobId, key)


@route("DELETE", "/jobs/{jobId}/pairs/{key}", "Unpair a wrong pair (both pages become "
       "unpaired)", tag="alignment")
def delete_pair(ctx, jobId, key):
    _sheet(ctx, jobId, key)
    pipeline.remove_pair(jobId, key)
    audit(ctx, "pair.delete", f"jobs/{jobId}/sheets/{key}")
    return {"deleted": key}


# --- summaries ----------------------------------------------------------------------------

def _summary_view(job: dict) -> dict:
    return {"text": job.get("summary"), "edited": bool(job.get("summaryEdited")),
            "history": job.get("summaryHistory") or []}


@route("GET", "/jobs/{jobId}/summary", "The set summary with its history", tag="summaries")
def get_summary(ctx, jobId):
    return _summary_view(_job(ctx, jobId))


@route("PUT", "/jobs/{jobId}/summary", "Edit the set summary (history kept)",
       tag="summaries", body={"type": "object", "required": ["text"],
                              "additionalProperties": False,
                              "properties": {"text": {"type": "string", "minLength": 1,
                                                      "maxLength": 20000}}})
def edit_summary(ctx, jobId):
    job = _job(ctx, jobId)
    _record_summary(jobId, job, ctx.body["text"], ctx.user.uid, "edit")
    audit(ctx, "summary.edit", f"jobs/{jobId}")
    return _summary_view(store.get_job(jobId))


@route("POST", "/jobs/{jobId}/summary/regenerate",
       "Write the summary again from the sheets' structured changes (history kept)",
       tag="summaries")
def regenerate_summary(ctx, jobId):
    job = _job(ctx, jobId)
    if not job.get("pairing"):
        raise ApiError(409, "the job has no pairing yet")
    text = pipeline.build_report(jobId, job)["summary"]
    _record_summary(jobId, job, text, ctx.user.uid, "regenerate")
    audit(ctx, "summary.regenerate", f"jobs/{jobId}")
    return _summary_view(store.get_job(jobId))


def _record_summary(job_id: str, job: dict, text: str, uid: str, action: str) -> None:
    from google.cloud import firestore

    entry = {"by": uid, "at": store.now(), "action": action, "text": text,
             "previous": job.get("summary")}
    store.update_job(job_id, {"summary": text, "summaryEdited": action == "edit",
                              "summaryHistory": firestore.ArrayUnion([entry])})


# --- change review ------------------------------------------------------------------------

def _change(ctx, jobId, key, changeId) -> dict:
    _job_doc, doc = _sheet(ctx, jobId, key)
    for c in (c for group in CHANGE_GROUPS for c in doc.get(group) or []):
        if c.get("id") == changeId:
            return c
    raise not_found("no such change on this sheet")


def _review_ref(job_id, key, change_id):
    return store.job_ref(job_id).collection("reviews").document(f"{key}__{change_id}")


@route("GET", "/jobs/{jobId}/sheets/{key}/reviews", "The review of each change of a sheet",
       tag="review")
def list_reviews(ctx, jobId, key):
    _job_doc, doc = _sheet(ctx, jobId, key)
    out = []
    for c in doc.get("changes") or []:
        snap = _review_ref(jobId, key, c["id"]).get()
        r = snap.to_dict() if snap.exists else {"status": "open", "comments": []}
        out.append({"changeId": c["id"], "kind": c.get("kind"), **r})
    return {"reviews": out}


@route("PUT", "/jobs/{jobId}/sheets/{key}/changes/{changeId}/status",
       "Set a change's review status", tag="review",
       body={"type": "object", "required": ["status"], "additionalProperties": False,
             "properties": {"status": {"type": "string", "enum": list(REVIEW_STATES)}}})
def set_review(ctx, jobId, key, changeId):
    _change(ctx, jobId, key, changeId)
    ref = _review_ref(jobId, key, changeId)
    ref.set({"status": ctx.body["status"], "by": ctx.user.uid, "at": store.now()}, merge=True)
    audit(ctx, "change.status", f"jobs/{jobId}/sheets/{key}/changes/{changeId}",
          status=ctx.body["status"])
    snap = ref.get().to_dict()
    return {"changeId": changeId, "status": snap["status"],
            "comments": snap.get("comments") or []}


@route("POST", "/jobs/{jobId}/sheets/{key}/changes/{changeId}/comments",
       "Comment on a change", status=201, tag="review",
       body={"type": "object", "required": ["text"], "additionalProperties": False,
             "properties": {"text": {"type": "string", "minLength": 1, "maxLength": 5000}}})
def comment(ctx, jobId, key, changeId):
    from google.cloud import firestore

    _change(ctx, jobId, key, changeId)
    ref = _review_ref(jobId, key, changeId)
    c = {"by": ctx.user.uid, "at": store.now(), "text": ctx.body["text"]}
    ref.set({"comments": firestore.ArrayUnion([c])}, merge=True)
    audit(ctx, "change.comment", f"jobs/{jobId}/sheets/{key}/changes/{changeId}")
    snap = ref.get().to_dict()
    return {"changeId": changeId, "status": snap.get("status", "open"),
            "comments": snap["comments"]}
