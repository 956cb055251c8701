"""The local stack's runner: a Workflows Executions API for workflows/compare.yaml, and the
relay from the local GCS server's Pub/Sub notifications to ``on_upload`` CloudEvents.

``python -m buildtrace.localstack.runner --port N --workflow workflows/compare.yaml
--functions-url URL --subscription projects/P/subscriptions/S``

REST methods served (the shapes of the Workflows Executions API v1):

- ``POST /v1/{workflow}/executions`` body ``{"argument": "<json>"}`` → the execution
  (``name``, ``state`` ACTIVE), run in a thread;
- ``GET /v1/{workflow}/executions/{id}`` → ``state`` (ACTIVE, SUCCEEDED, FAILED), ``result``
  or ``error``;
- ``GET /v1/{workflow}/executions`` → the executions;
- ``GET /healthz``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import threading
import time
import traceback
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests

from . import emulator_ext

EXECUTIONS: dict[str, dict] = {}
_LOCK = threading.Lock()


def run_execution(name: str, workflow_path: str, argument: dict) -> None:
    from workflows_emulator.main import execute_workflow, load_workflow

    ex = EXECUTIONS[name]
    try:
        config = load_workflow(workflow_path)
        params = config["main"].get("params") or []
        # Workflows hands the whole argument to main's one parameter
        args = {params[0]: argument} if params else {}
        result = execute_workflow(config, args)
        ex.update(state="SUCCEEDED", result=json.dumps(result, default=str))
    except Exception as exc:  # the execution fails; the runner goes on
        payload = getattr(exc, "payload", None)
        ex.update(state="FAILED", error={"payload": json.dumps(payload, default=str)
                                         if payload is not None else repr(exc),
                                         "context": traceback.format_exc(limit=3)})
    ex["endTime"] = time.time()
    print(json.dumps({"severity": "INFO", "message": "execution ended", "execution": name,
                      "state": ex["state"]}), flush=True)


def make_handler(workflow_path: str):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # quiet: executions log their own lines
            pass

        def _send(self, code: int, body) -> None:
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            path = self.path.split("?")[0]
            if path == "/healthz":
                return self._send(200, {"ok": True})
            if path.startswith("/v1/") and path.endswith("/executions"):
                parent = path[len("/v1/"):-len("/executions")]
                return self._send(200, {"executions": [e for n, e in EXECUTIONS.items()
                                                       if n.startswith(parent + "/")]})
            name = path[len("/v1/"):]
            if name in EXECUTIONS:
                return self._send(200, EXECUTIONS[name])
            return self._send(404, {"error": {"code": 404, "message": f"{name} not found"}})

        def do_POST(self):
            path = self.path.split("?")[0]
            if not (path.startswith("/v1/") and path.endswith("/executions")):
                return self._send(404, {"error": {"code": 404, "message": "not found"}})
            length = int(self.headers.get("Content-Length") or 0)
            try:
                body = json.loads(self.rfile.read(length) or b"{}")
                argument = json.loads(body.get("argument") or "{}")
            except ValueError as exc:
                return self._send(400, {"error": {"code": 400, "message": str(exc)}})
            parent = path[len("/v1/"):-len("/executions")]
            name = f"{parent}/executions/{uuid.uuid4().hex}"
            ex = {"name": name, "state": "ACTIVE", "argument": json.dumps(argument),
                  "startTime": time.time()}
            with _LOCK:
                EXECUTIONS[name] = ex
            threading.Thread(target=run_execution, args=(name, workflow_path, argument),
                             daemon=True).start()
            return self._send(200, ex)

    return Handler


def cloud_event_headers(attrs: dict, obj: dict) -> dict:
    """Binary-mode CloudEvent headers of a GCS finalize event (what Eventarc delivers)."""
    return {
        "ce-specversion": "1.0",
        "ce-id": f"{attrs.get('bucketId')}/{attrs.get('objectId')}/"
                 f"{attrs.get('objectGeneration')}",
        "ce-source": f"//storage.googleapis.com/projects/_/buckets/{attrs.get('bucketId')}",
        "ce-type": "google.cloud.storage.object.v1.finalized",
        "ce-subject": f"objects/{attrs.get('objectId')}",
        "ce-time": attrs.get("eventTime") or obj.get("updated") or "",
        "Content-Type": "application/json",
    }


def relay(subscription: str, target: str, stop: threading.Event) -> None:
    """Pull the GCS server's notifications and POST each to ``on_upload`` as a CloudEvent;
    ack only what the function took (2xx), so a failure is delivered again."""
    from google.cloud import pubsub_v1

    sub = pubsub_v1.SubscriberClient()
    while not stop.is_set():
        try:
            resp = sub.pull(subscription=subscription, max_messages=10, timeout=30)
        except Exception as exc:  # emulator restarting: try again
            print(json.dumps({"severity": "WARNING", "message": f"pull failed: {exc}"}),
                  flush=True)
            time.sleep(1)
            continue
        for m in resp.received_messages:
            attrs = dict(m.message.attributes)
            if attrs.get("eventType") != "OBJECT_FINALIZE":
                sub.acknowledge(subscription=subscription, ack_ids=[m.ack_id])
                continue
            obj = json.loads(m.message.data or b"{}")
            try:
                r = requests.post(target, data=json.dumps(obj),
                                  headers=cloud_event_headers(attrs, obj), timeout=120)
                ok = r.status_code < 300
            except requests.RequestException:
                ok = False
            if ok:
                sub.acknowledge(subscription=subscription, ack_ids=[m.ack_id])
            else:
                sub.modify_ack_deadline(subscription=subscription, ack_ids=[m.ack_id],
                                        ack_deadline_seconds=5)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--workflow", required=True)
    ap.add_argument("--functions-url", required=True)
    ap.add_argument("--subscription")
    a = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    emulator_ext.apply()
    os.environ["BUILDTRACE_FUNCTIONS_URL"] = a.functions_url
    stop = threading.Event()
    if a.subscription:
        threading.Thread(target=relay, args=(a.subscription, f"{a.functions_url}/on_upload",
                                             stop), daemon=True).start()
    server = ThreadingHTTPServer(("127.0.0.1", a.port), make_handler(a.workflow))
    try:
        server.serve_forever()
    finally:
        stop.set()


if __name__ == "__main__":
    main()
