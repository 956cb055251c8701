"""The API's Flask app: every route of ``routes.ROUTES`` under ``/api/v1``, behind
authentication, the rate limit and body validation; errors as JSON.

``functions/main.py``'s ``api`` entry point hands each request to :func:`handle`. Behind
Firebase Hosting (rewrite ``/api/**`` to the function) and on the local stack the paths
arrive as ``/api/v1/...``.
"""

from __future__ import annotations

import functools
import re
import traceback

from ..cloud import pipeline
from ..cloud.log import log
from . import auth, ratelimit
from .errors import ApiError, bad_request
from .openapi import openapi_document
from .routes import ROUTES, Ctx, Route
from .validation import validate

PREFIX = "/api/v1"


def _json(body, status: int = 200, headers: dict | None = None):
    from flask import jsonify

    resp = jsonify(body)
    resp.status_code = status
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


def _view(r: Route):
    def view(**params):
        from flask import request

        user = auth.authenticate(request.headers.get("Authorization"))
        ratelimit.take(user.uid)
        body = {}
        if r.body is not None:
            body = request.get_json(silent=True)
            if not isinstance(body, dict):
                raise bad_request("the body must be a JSON object")
            validate(r.body, body)
        ctx = Ctx(user, body, dict(request.args))
        out = r.handler(ctx, **params)
        if r.raw:
            return out
        return _json(out, r.status)

    view.__name__ = f"{r.method}_{r.path}"
    return view


@functools.lru_cache(maxsize=1)
def create_app():
    from flask import Flask
    from werkzeug.exceptions import HTTPException

    app = Flask("buildtrace-api")
    app.json.sort_keys = False
    for r in ROUTES:
        rule = PREFIX + re.sub(r"\{(\w+)\}", r"<\1>", r.path)
        app.add_url_rule(rule, endpoint=f"{r.method} {r.path}", view_func=_view(r),
                         methods=[r.method])
    app.add_url_rule(PREFIX + "/openapi.json", "openapi",
                     lambda: _json(openapi_document()), methods=["GET"])

    @app.errorhandler(ApiError)
    def api_error(e):
        return _json(e.body(), e.status, e.headers)

    @app.errorhandler(pipeline.JobCancelled)
    def cancelled(_e):
        return _json({"error": {"code": 409, "message": "the job was cancelled"}}, 409)

    @app.errorhandler(pipeline.StepFailed)
    def step_failed(e):
        return _json({"error": {"code": 409, "message": str(e)}}, 409)

    @app.errorhandler(HTTPException)
    def http_error(e):
        return _json({"error": {"code": e.code, "message": e.description}}, e.code)

    @app.errorhandler(Exception)
    def crash(e):
        log("api crashed", severity="ERROR", error=repr(e), trace=traceback.format_exc())
        return _json({"error": {"code": 500, "message": "internal error"}}, 500)

    @app.after_request
    def audit_log(resp):
        from flask import request

        log("api", method=request.method, path=request.path, status=resp.status_code)
        return resp

    return app


def handle(request):
    """Serve one functions-framework (Flask) request with the API app."""
    app = create_app()
    with app.request_context(request.environ):
        return app.full_dispatch_request()
