"""The OpenAPI 3.0 document of ``/api/v1``, generated from the route table, so the
document and the app cannot drift apart."""

from __future__ import annotations

import functools
import re

ERROR = {"type": "object", "properties": {"error": {"type": "object", "properties": {
    "code": {"type": "integer"}, "message": {"type": "string"},
    "field": {"type": "string"}}}}}


def _schema(s: dict) -> dict:
    """Our validation schema as OpenAPI 3.0 (the same keywords, nothing to translate)."""
    return s


@functools.lru_cache(maxsize=1)
def openapi_document() -> dict:
    from .routes import ROUTES

    paths: dict = {}
    for r in ROUTES:
        params = [{"name": n, "in": "path", "required": True,
                   "schema": {"type": "string", "pattern": r"^[A-Za-z0-9_.\-]{1,128}$"}}
                  for n in re.findall(r"\{(\w+)\}", r.path)]
        op = {"summary": r.summary, "tags": [r.tag],
              "operationId": f"{r.method.lower()}_{re.sub(r'[^a-z0-9]+', '_', r.path.lower())}"
                             .strip("_"),
              "parameters": params,
              "responses": {
                  str(r.status): {"description": "OK", "content": {
                      ("image/png" if r.raw else "application/json"): {"schema": {}}}},
                  "400": {"description": "A field is missing or wrong",
                          "content": {"application/json": {"schema": ERROR}}},
                  "401": {"description": "No valid Firebase ID token",
                          "content": {"application/json": {"schema": ERROR}}},
                  "404": {"description": "No such object, or not the user's",
                          "content": {"application/json": {"schema": ERROR}}},
                  "429": {"description": "Too many requests (see Retry-After)",
                          "content": {"application/json": {"schema": ERROR}}}}}
        if r.method in ("PATCH", "DELETE", "POST", "PUT"):
            op["responses"]["403"] = {"description": "Only the project's owner may do this",
                                      "content": {"application/json": {"schema": ERROR}}}
            op["responses"]["409"] = {"description": "Not possible in the job's state",
                                      "content": {"application/json": {"schema": ERROR}}}
        if r.body is not None:
            op["requestBody"] = {"required": True, "content": {
                "application/json": {"schema": _schema(r.body)}}}
        paths.setdefault("/api/v1" + r.path, {})[r.method.lower()] = op
    return {"openapi": "3.0.3",
            "info": {"title": "BuildTrace API", "version": "1",
                     "description": "Compare revisions of construction drawing sets. Every "
                                    "route needs a Firebase ID token."},
            "components": {"securitySchemes": {"firebase": {"type": "http",
                                                            "scheme": "bearer",
                                                            "bearerFormat": "JWT"}}},
            "security": [{"firebase": []}],
            "paths": paths}
