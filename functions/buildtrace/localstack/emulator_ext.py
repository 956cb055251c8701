"""What the local stack adds to PyPI's ``workflows-emulator`` so it runs
workflows/compare.yaml unchanged (the YAML that deploys is the YAML that runs here).

Gaps filled, each found by running our workflow:

- ``auth: {type: OIDC}`` raised NotImplementedError: the local functions take no token,
  so the call goes out without one (the cloud adds a Google-signed token).
- A refused connection (``requests`` ConnectionError / Timeout) escaped ``try``/``retry``:
  it now becomes the Workflows error with tag ``ConnectionError`` / ``TimeoutError``.
- Iterations of a ``parallel`` step shared one variable scope (two branches assigning the
  same name raced) and ``concurrency_limit`` was ignored: each iteration now gets its own
  copy of the scope, and at most ``concurrency_limit`` run at once.
- ``retry.backoff.initial_delay`` (the documented name) was read as ``delay``.
- The ``googleapis.run.v2.projects.locations.jobs.run`` connector went to the real Cloud
  Run API: it now runs the job's tasks as local processes (``python -m
  buildtrace.cloud.diff_job``) with ``CLOUD_RUN_TASK_INDEX`` / ``CLOUD_RUN_TASK_COUNT``,
  ``parallelism`` at a time, and waits for them as the connector does.
"""

from __future__ import annotations

import copy
import os
import subprocess
import sys
import threading
import time

_applied = False

#: Cloud Run job tasks run at once on this machine (the cloud's ``parallelism``).
LOCAL_TASK_PARALLELISM = int(os.environ.get("BUILDTRACE_LOCAL_TASK_PARALLELISM", "2"))


def apply() -> None:
    """Install the extensions (once per process)."""
    global _applied
    if _applied:
        return
    _applied = True
    _patch_http()
    _patch_parallel()
    _patch_retry_backoff()
    _patch_connectors()


def _patch_http() -> None:
    import requests
    from workflows_emulator.lib import http_utils

    original = http_utils.request

    def request(method, url, timeout=300, body=None, headers={}, query={}, auth=None,
                scopes=("https://www.googleapis.com/auth/cloud-platform",),
                private_service_name=None, ca_certificate=None):
        if auth and auth.get("type") == "OIDC":
            auth = None  # local functions verify no token
        try:
            return original(method, url, timeout=timeout, body=body, headers=headers,
                            query=query, auth=auth, scopes=scopes,
                            private_service_name=private_service_name,
                            ca_certificate=ca_certificate)
        except requests.exceptions.Timeout as exc:
            raise TimeoutError(f"{method} {url}: {exc}") from None
        except requests.exceptions.ConnectionError as exc:
            raise ConnectionError(f"{method} {url}: {exc}") from None

    http_utils.request = request
    for name in ("get", "post", "put", "patch", "delete"):
        setattr(http_utils, name,
                (lambda m: (lambda **kw: request(m, **kw)))(name.upper()))


def _patch_parallel() -> None:
    from workflows_emulator import main as wf
    from workflows_emulator.utils import WorkflowError

    def execute_task_config(self, task_configs, concurrency_limit=None, index_var="__index",
                            value_var="__value"):
        limit = threading.Semaphore(int(concurrency_limit or 1000))
        errors: dict = {}
        lock = threading.Lock()
        is_for = "for" in self.config["parallel"]

        def run(index, task):
            scope = copy.deepcopy(self.context)
            if is_for:
                scope[value_var] = task["id"]
                scope[index_var] = index
            with limit:
                try:
                    wf.execute_step(str(task["id"]), task["config"], scope)
                except WorkflowError as err:
                    err.__context__ = RuntimeError("branch error")
                    with lock:
                        errors[task["id"]] = err
                except Exception as err:  # a bug in a branch still ends the step
                    with lock:
                        errors[task["id"]] = WorkflowError(message=repr(err),
                                                           tags=[type(err).__name__])
                        errors[task["id"]].__context__ = err

        threads = [threading.Thread(target=run, args=(i, t), daemon=True)
                   for i, t in enumerate(task_configs)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.check_raise_results(errors)
        return self.context

    wf.StepParallel.execute_task_config = execute_task_config


def _patch_retry_backoff() -> None:
    from workflows_emulator import main as wf

    def execute(self):
        retry = self.config.get("retry")
        if isinstance(retry, dict) and isinstance(retry.get("backoff"), dict):
            backoff = retry["backoff"]
            if "initial_delay" in backoff and "delay" not in backoff:
                self.config = dict(self.config, retry=dict(
                    retry, backoff=dict(backoff, delay=backoff["initial_delay"])))
        return _retry_execute(self)

    _retry_execute = wf.StepRetry.execute
    wf.StepRetry.execute = execute


def _patch_connectors() -> None:
    from workflows_emulator import main as wf
    from workflows_emulator.utils import WorkflowError

    original = wf.StepCall.execute_connector

    def execute_connector(rendered_step):
        if rendered_step["call"] == "googleapis.run.v2.projects.locations.jobs.run":
            return run_cloud_run_job(rendered_step["args"], WorkflowError)
        return original(rendered_step)

    wf.StepCall.execute_connector = staticmethod(execute_connector)


def run_cloud_run_job(args: dict, error_type) -> dict:
    """Run a Cloud Run job's tasks locally and wait for them (the connector's behaviour)."""
    overrides = (args.get("body") or {}).get("overrides") or {}
    count = int(overrides.get("taskCount") or 1)
    env = dict(os.environ)
    for c in overrides.get("containerOverrides") or []:
        for e in c.get("env") or []:
            env[e["name"]] = str(e["value"])
    env["CLOUD_RUN_TASK_COUNT"] = str(count)
    failed, pending = [], list(range(count))
    running: list[tuple[int, subprocess.Popen]] = []
    while pending or running:
        while pending and len(running) < LOCAL_TASK_PARALLELISM:
            i = pending.pop(0)
            task_env = dict(env, CLOUD_RUN_TASK_INDEX=str(i))
            running.append((i, subprocess.Popen([sys.executable, "-m",
                                                 "buildtrace.cloud.diff_job"], env=task_env)))
        while running and all(proc.poll() is None for _, proc in running):
            time.sleep(0.05)  # wait for whichever task ends first
        for item in [r for r in running if r[1].poll() is not None]:
            running.remove(item)
            if item[1].returncode != 0:
                failed.append(item[0])
    name = args.get("name", "")
    if failed:
        raise error_type(message=f"Cloud Run job {name}: tasks {failed} failed",
                         tags=["OperationError"], code=500)
    return {"name": f"{name}/executions/local", "taskCount": count, "succeededCount": count}
