"""Throughput of the pipeline on the local stack (`make bench-stack`).

Starts its own stack (ports from 38000), uploads the example pair (examples/make_revision.py:
18 Transatomic sheets and a revision, 17 pairs) under the path convention, and times the
job from the upload of the second set to ``succeeded``: once with the diffs on the function
path, once on the Cloud Run job path (tasks as local processes). For reference, the same
comparison through the CLI's core (``compare_sets``, 2 worker processes) in this process.
Figures are for this machine (2 cores): every service, the functions and the workflow
runner share them.
"""

from __future__ import annotations

import os
import pathlib
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent


def _sets(out: pathlib.Path) -> tuple[pathlib.Path, pathlib.Path]:
    from buildtrace.synth import make_example_pair

    return make_example_pair(ROOT / "examples" / "drawings" / "transatomic", out)


def _run(env: dict, project: str, old, new) -> dict:
    from google.cloud import firestore

    from buildtrace.cloud import storage, store

    bucket = storage.client().bucket(env["BUILDTRACE_BUCKET"])
    bucket.blob(f"uploads/bench/{project}/a/{old.name}").upload_from_filename(str(old))
    time.sleep(1)
    t0 = time.time()
    bucket.blob(f"uploads/bench/{project}/b/{new.name}").upload_from_filename(str(new))
    q = store.db().collection("jobs").where(filter=firestore.FieldFilter("projectId", "==",
                                                                        project))
    while True:
        jobs = [d.to_dict() for d in q.stream()]
        if jobs and jobs[0]["status"] in ("succeeded", "failed", "cancelled"):
            break
        if time.time() - t0 > 900:
            raise RuntimeError("the job did not finish in 15 minutes")
        time.sleep(0.25)
    job = jobs[0]
    return {"seconds": time.time() - t0, "status": job["status"], "job": job}


def main() -> None:
    from buildtrace.cloud import storage, store
    from buildtrace.engine.compare_sets import compare_sets
    from buildtrace.localstack import stack

    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        old, new = _sets(tmp / "sets")
        t = time.time()
        report = compare_sets(str(old), str(new), str(tmp / "cli"), jobs=2)
        cli = time.time() - t
        pairs = len(report["pairs"])
        print(f"example pair: 18 -> 18 sheets, {pairs} pairs, 150 DPI, this machine "
              f"({os.cpu_count()} cores)")
        print(f"{'run':<40} {'seconds':>8} {'sheets/min':>11}  stages (s)")
        print(f"{'CLI core, 2 processes (reference)':<40} {cli:>8.1f} {60 * pairs / cli:>11.1f}")
        for label, extra in (("stack, diffs on the functions", {}),
                             ("stack, diffs on the Cloud Run job",
                              {"BUILDTRACE_JOB_THRESHOLD": "5",
                               "BUILDTRACE_PAIRS_PER_TASK": "5"})):
            env = stack.up(tmp / "stack", 38000, extra_env=extra, quiet=True)
            os.environ.update(env)
            storage.client.cache_clear()
            store.db.cache_clear()
            try:
                r = _run(env, "bench", old, new)
            finally:
                stack.down(tmp / "stack", quiet=True)
            st = r["job"]["stages"]
            stages = ", ".join(f"{k} {st[k]['seconds']:.1f}" for k in store.STAGES
                               if st[k].get("seconds") is not None)
            print(f"{label:<40} {r['seconds']:>8.1f} {60 * pairs / r['seconds']:>11.1f}  "
                  f"{stages}  [{r['status']}, {r['job'].get('diffRunner')}]", flush=True)


if __name__ == "__main__":
    main()
