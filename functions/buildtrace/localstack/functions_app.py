"""All entry points of functions/main.py in one WSGI app, each under ``/<name>``, as
functions-framework builds them (the cloud gives each its own URL; the paths match)."""

from __future__ import annotations

import os

import functions_framework
from werkzeug.exceptions import NotFound

from buildtrace.cloud.handlers import STEPS

MAIN = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "main.py")

#: The workflow's steps (one list, in handlers) and the API.
HTTP_TARGETS = (*STEPS, "api")
#: Targets that see the whole path (the API's routes are /api/v1/..., as behind Hosting).
WHOLE_PATH = ("api",)
EVENT_TARGETS = ("on_upload",)


def build():
    apps = {f"/{t}": functions_framework.create_app(t, MAIN, "http") for t in HTTP_TARGETS}
    apps.update({f"/{t}": functions_framework.create_app(t, MAIN, "cloudevent")
                 for t in EVENT_TARGETS})

    def health(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    apps["/healthz"] = health
    not_found = NotFound()

    def dispatch(environ, start_response):
        # /diff_pair -> the diff_pair app at its root (no redirect to /diff_pair/)
        path = environ.get("PATH_INFO", "")
        head, _, rest = path.lstrip("/").partition("/")
        target = apps.get("/" + head)
        if target is None:
            return not_found(environ, start_response)
        if head not in WHOLE_PATH:
            environ = dict(environ, SCRIPT_NAME=environ.get("SCRIPT_NAME", "") + "/" + head,
                           PATH_INFO="/" + rest)
        return target(environ, start_response)

    return dispatch


app = build()
