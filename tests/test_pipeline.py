"""The cloud pipeline end to end on the local stack: real Firestore and Pub/Sub emulators,
a real GCS server emitting finalize events, the functions under gunicorn, and
workflows/compare.yaml run by the workflow runner (see buildtrace.localstack).

The stack (conftest.py) starts once per test session on its own ports (base 28000), so a
developer's `make stack` (base 18000) is left alone. Jobs with more than 10 pairs run
their diffs on the Cloud Run job path (tasks as local processes), smaller ones on the
function path.
"""

from __future__ import annotations

import json
import pathlib
import threading
import time

import pytest
import requests

ROOT = pathlib.Path(__file__).resolve().parent.parent
TERMINAL = ("succeeded", "failed", "cancelled")


def _bucket(name: str):
    from buildtrace.cloud import storage

    return storage.client().bucket(name)


def _upload(stack, project: str, version: str, path, uid: str = "u1"):
    blob = _bucket(stack["BUILDTRACE_BUCKET"]).blob(
        f"uploads/{uid}/{project}/{version}/{pathlib.Path(path).name}")
    blob.upload_from_filename(str(path), content_type="application/pdf")
    return blob


def _jobs(project: str) -> list[dict]:
    from google.cloud import firestore

    from buildtrace.cloud import store

    q = store.db().collection("jobs").where(filter=firestore.FieldFilter("projectId", "==",
                                                                        project))
    return [dict(d.to_dict(), id=d.id) for d in q.stream()]


def _wait_job(project: str, timeout: float = 400, until=TERMINAL) -> dict:
    t = time.time()
    while time.time() - t < timeout:
        jobs = _jobs(project)
        if jobs and jobs[0]["status"] in until:
            return jobs[0]
        time.sleep(0.5)
    raise AssertionError(f"no job of {project} reached {until} in {timeout} s: {_jobs(project)}")


def _execution(stack, name: str) -> dict:
    return requests.get(f"{stack['BUILDTRACE_WORKFLOWS_URL']}/v1/{name}", timeout=10).json()


def _wait_execution(stack, name: str, timeout: float = 60) -> dict:
    t = time.time()
    while time.time() - t < timeout:
        ex = _execution(stack, name)
        if ex.get("state") != "ACTIVE":
            return ex
        time.sleep(0.5)
    raise AssertionError(f"execution {name} still active after {timeout} s")


def test_two_uploaded_sets_are_compared_end_to_end(stack, demo_sets):
    from google.cloud import firestore

    from buildtrace.cloud import store

    project = "e2e"
    seen: list[tuple[str, float, dict]] = []
    lock = threading.Lock()

    def on_change(snapshots, _changes, _read_time):
        with lock:
            for s in snapshots:
                d = s.to_dict()
                seen.append((d["status"], d["progress"],
                             {k: v["status"] for k, v in d["stages"].items()}))

    q = store.db().collection("jobs").where(filter=firestore.FieldFilter("projectId", "==",
                                                                        project))
    watch = q.on_snapshot(on_change)
    try:
        _upload(stack, project, "rev-a", demo_sets[0])
        _upload(stack, project, "rev-b", demo_sets[1])  # desktop sync: no other call
        job = _wait_job(project)
        time.sleep(1)  # let the listener catch the last write
    finally:
        watch.unsubscribe()
    assert job["status"] == "succeeded", job.get("error")
    assert (job["oldVersion"], job["newVersion"]) == ("rev-a", "rev-b")
    assert job["progress"] == 1.0 and job["createdAt"] <= job["startedAt"] <= job["finishedAt"]
    assert job["diffRunner"] == "cloud-run-job"  # 17 pairs > the test threshold of 10

    # the listener saw the job move forward: statuses in order, progress never going back
    statuses = [s for s, _, _ in seen]
    order = {"queued": 0, "running": 1, "succeeded": 2}
    assert statuses[-1] == "succeeded" and "running" in statuses
    assert all(order[a] <= order[b] for a, b in zip(statuses, statuses[1:]))
    progress = [p for _, p, _ in seen]
    assert progress == sorted(progress) and len(set(progress)) >= 5
    stage_views = [st for _, _, st in seen]
    assert any(v["diff"] == "running" for v in stage_views)
    assert any(v["prepare"] == "running" for v in stage_views)
    for name, st in job["stages"].items():
        assert st["status"] == "done" and st["seconds"] is not None, name
    assert job["stages"]["prepare"]["done"] == job["stages"]["prepare"]["total"] == 36

    # every pair has its sheet document and its images in the results bucket
    sheets = store.sheet_docs(job["id"])
    keys = job["pairing"]["keys"]
    assert len(keys) == 17 and sorted(sheets) == sorted(keys)
    results = _bucket(stack["BUILDTRACE_RESULTS_BUCKET"])
    for key, doc in sheets.items():
        assert doc["status"] == "compared", (key, doc.get("error"))
        assert len(doc["alignment"]["matrix"]) == 6
        for image in ("png", "dzi", "preview"):
            assert results.blob(doc["overlay"][image]).exists(), (key, image)
    by_number = {d["number"]: d for d in sheets.values()}
    assert {n for n, d in by_number.items() if d["changes"]} == {"M101", "M108", "M201"}
    assert by_number["M206"]["renumbered"] and by_number["M206"]["old_number"] == "M205"

    # report.json: the CLI's contract, built by the same code
    report = json.loads(results.blob(job["report"]).download_as_bytes())
    assert report["schema"] == "buildtrace.report/1" and len(report["pairs"]) == 17
    new_numbers = {s["page"]: s["number"] for s in report["new"]["sheets"]}
    old_numbers = {s["page"]: s["number"] for s in report["old"]["sheets"]}
    assert [new_numbers[p] for p in report["added_pages"]] == ["M112"]
    assert [old_numbers[p] for p in report["removed_pages"]] == ["M251"]
    assert all(len(p["alignment"]["matrix"]) == 2 for p in report["pairs"])
    # the added and the removed sheet are shown whole, as the CLI shows them
    for key, number in (("added_sheets", "M112"), ("removed_sheets", "M251")):
        [sheet] = report[key]
        assert sheet["number"] == number and sheet["preview"].startswith(f"results/{job['id']}/")
        assert results.blob(sheet["preview"]).download_as_bytes()[:4] == b"\x89PNG"
    assert "M112" in job["summary"] and "M251" in job["summary"]

    # the versions were recorded with their sheets
    v = store.get_version(project, "rev-b")
    assert v["status"] == "ready" and v["pages"] == 18 and len(v["sheets"]) == 18


def test_a_damaged_page_fails_its_sheet_and_the_others_finish(stack, small_sets):
    from buildtrace.cloud import store

    project = "damaged"
    _upload(stack, project, "v1", small_sets[0])
    _upload(stack, project, "v2", small_sets[1])
    job = _wait_job(project, 200)
    assert job["status"] == "succeeded", job.get("error")
    assert job["diffRunner"] == "function"
    sheets = store.sheet_docs(job["id"])
    assert len(sheets) == 3
    bad = sheets["p001"]
    assert bad["status"] == "failed" and "cannot be read" in bad["error"]
    assert bad["match"]["method"] == "position"
    good = [d for k, d in sheets.items() if k != "p001"]
    assert all(d["status"] == "compared" for d in good)
    assert [d["number"] for d in good if d["changes"]] == ["M107"]
    assert job["counts"]["failed"] == 1 and job["counts"]["pairs"] == 3


def test_duplicate_events_and_identical_files_start_nothing_more(stack, small_sets):
    from buildtrace.cloud import store

    project = "dupes"
    _upload(stack, project, "v1", small_sets[0])
    blob = _upload(stack, project, "v2", small_sets[1])
    job = _wait_job(project, 200)
    assert job["status"] == "succeeded"
    # the same finalize event delivered again (Eventarc delivers at least once)
    blob.reload()
    event = {"bucket": blob.bucket.name, "name": blob.name, "generation": str(blob.generation),
             "md5Hash": blob.md5_hash, "size": str(blob.size),
             "timeCreated": blob.time_created.isoformat(), "contentType": blob.content_type}
    headers = {"ce-specversion": "1.0", "ce-id": "again-1", "ce-type":
               "google.cloud.storage.object.v1.finalized", "ce-source":
               f"//storage.googleapis.com/projects/_/buckets/{blob.bucket.name}",
               "ce-subject": f"objects/{blob.name}", "Content-Type": "application/json"}
    for _ in range(2):
        r = requests.post(f"{stack['BUILDTRACE_FUNCTIONS_URL']}/on_upload", data=json.dumps(event),
                          headers=headers, timeout=60)
        assert r.status_code == 200
    # an identical file uploaded as a new version
    _upload(stack, project, "v3", small_sets[1])
    time.sleep(4)
    assert len(_jobs(project)) == 1
    v3 = store.get_version(project, "v3")
    assert v3["status"] == "duplicate" and v3["duplicateOf"] == "v2"


def test_a_retried_step_leaves_no_duplicates(stack, small_sets):
    from buildtrace.cloud import storage, store

    project = "retry"
    _upload(stack, project, "v1", small_sets[0])
    _upload(stack, project, "v2", small_sets[1])
    job = _wait_job(project, 200)
    assert job["status"] == "succeeded"
    before_objects = sorted(storage.list_names(f"results/{job['id']}/"))
    before_sheets = store.sheet_docs(job["id"])
    url = stack["BUILDTRACE_FUNCTIONS_URL"]
    for step, body in (("diff_pair", {"key": "p002"}), ("diff_pair", {"key": "p000"}),
                       ("identify_pages", {"side": "new", "first": 0, "last": 2}),
                       ("summarise", {})):
        r = requests.post(f"{url}/{step}", json=dict(body, jobId=job["id"]), timeout=300)
        assert r.status_code == 200, (step, r.text)
    after = store.get_job(job["id"])
    assert sorted(storage.list_names(f"results/{job['id']}/")) == before_objects
    assert sorted(store.sheet_docs(job["id"])) == sorted(before_sheets)
    assert after["stages"]["diff"]["done"] == 3 and after["stages"]["prepare"]["done"] == 6
    assert after["status"] == "succeeded" and after["progress"] == 1.0
    pages = store.page_docs(project, "v2")
    assert [p["page"] for p in pages] == [0, 1, 2]


def test_a_cancelled_job_stops_between_steps(stack, demo_sets):
    from buildtrace.cloud import store

    project = "cancel"
    _upload(stack, project, "a", demo_sets[0])
    _upload(stack, project, "b", demo_sets[1])
    t = time.time()
    while time.time() - t < 300:
        jobs = _jobs(project)
        if jobs and (jobs[0]["stages"]["diff"]["done"] or 0) >= 2:
            break
        time.sleep(0.2)
    job = jobs[0]
    store.cancel_job(job["id"], by="u1")
    ex = _wait_execution(stack, job["execution"], 120)
    assert ex["state"] == "SUCCEEDED" and json.loads(ex["result"]) == {"status": "cancelled"}
    final = store.get_job(job["id"])
    assert final["status"] == "cancelled" and final["error"]["by"] == "u1"
    assert final["stages"]["summary"]["status"] == "pending"  # stopped before the summary
    done = final["stages"]["diff"]["done"]
    assert 2 <= done < 17
    time.sleep(3)
    assert len(store.sheet_docs(job["id"])) == store.get_job(job["id"])["stages"]["diff"]["done"]


def test_firestore_documents_hold_no_nested_arrays():
    from buildtrace.cloud.pipeline import from_firestore, to_firestore

    entry = {"alignment": {"matrix": [[1.0, 0.0, 2.5], [0.0, 1.0, -3.0]], "ok": True},
             "changes": [{"bbox": [1, 2, 3, 4]}]}
    doc = to_firestore(entry)
    assert doc["alignment"]["matrix"] == [1.0, 0.0, 2.5, 0.0, 1.0, -3.0]
    assert from_firestore(doc) == entry
    # a re-scan's paper stretch: two grids (rows × columns of points)
    stretch = {"step_pt": 72.0, "max_pt": 0.4, "dx": [[0.1, 0.2, 0.3], [0.0, -0.1, 0.4]],
               "dy": [[0.0, 0.0, 0.1], [0.2, 0.1, 0.0]]}
    entry["alignment"]["stretch"] = stretch
    doc = to_firestore(entry)
    assert doc["alignment"]["stretch"]["dx"] == [0.1, 0.2, 0.3, 0.0, -0.1, 0.4]
    assert from_firestore(doc) == entry
    with pytest.raises(TypeError, match=r"changes\[0\].bbox\[0\]"):
        to_firestore({"changes": [{"bbox": [[1, 2], [3, 4]]}]})


def test_upload_paths_and_error_descriptions():
    from buildtrace.cloud.paths import parse_upload
    from buildtrace.cloud.pipeline import describe_error

    up = parse_upload("uploads/uid-1/proj/v7/Set A.pdf")
    assert (up.uid, up.project_id, up.version_id, up.file) == ("uid-1", "proj", "v7", "Set A.pdf")
    for bad in ("results/job/report.json", "uploads/u/p/set.pdf", "uploads/u/p/v/x/set.pdf",
                "uploads/u/../v/set.pdf", "uploads/u/p/v/"):
        assert parse_upload(bad) is None, bad
    assert describe_error({"code": 422, "body": {"error": "the old set is encrypted"}}) == \
        "the old set is encrypted"
    branch = {"message": "UnhandledBranchError", "branches": [
        {"id": "0", "error": {"payload": {"body": {"error": "bad page"}}}}]}
    assert describe_error(branch) == "bad page"


def test_a_set_that_cannot_be_read_fails_the_job_with_the_reason(stack, small_sets, tmp_path):
    """An encrypted set: the step answers 422 (not retried) and the workflow records why."""
    import pikepdf

    locked = tmp_path / "locked.pdf"
    with pikepdf.open(small_sets[0]) as pdf:
        pdf.save(locked, encryption=pikepdf.Encryption(user="site", owner="office"))
    project = "locked"
    _upload(stack, project, "v1", small_sets[0])
    _upload(stack, project, "v2", locked)
    job = _wait_job(project, 120)
    assert job["status"] == "failed"
    assert "the new set (locked.pdf) cannot be read" in job["error"]["reason"]
    assert "password-protected" in job["error"]["reason"]
    ex = _wait_execution(stack, job["execution"], 60)
    assert ex["state"] == "FAILED"  # the workflow re-raises after recording the reason
    from buildtrace.cloud import store

    assert store.get_version(project, "v2")["status"] == "failed"
    assert store.get_version(project, "v1")["status"] != "failed"
