"""Cloud Functions entry points (functions-framework), a few lines each.

``on_upload`` receives the bucket's finalize events; the others are the steps that
``workflows/compare.yaml`` calls over HTTP. All logic lives in ``buildtrace.cloud``
(adapters) and ``buildtrace.engine`` (the comparison). The diff of big batches runs on the
Cloud Run job ``python -m buildtrace.cloud.diff_job``.
"""

import functools

import functions_framework

from buildtrace.cloud import handlers


@functions_framework.cloud_event
def on_upload(cloud_event):
    handlers.on_upload(cloud_event)


@functions_framework.http
def start_job(request):
    return handlers.step("start_job", request)


@functions_framework.http
def inspect_set(request):
    return handlers.step("inspect_set", request)


@functions_framework.http
def identify_pages(request):
    return handlers.step("identify_pages", request)


@functions_framework.http
def pair_sheets(request):
    return handlers.step("pair_sheets", request)


@functions_framework.http
def diff_pair(request):
    return handlers.step("diff_pair", request)


@functions_framework.http
def summarise(request):
    return handlers.step("summarise", request)


@functions_framework.http
def finalize(request):
    return handlers.step("finalize", request)


@functions_framework.http
def fail_job(request):
    return handlers.step("fail_job", request)


@functools.lru_cache(maxsize=1)
def _api():
    from buildtrace.api.app import handle

    return handle


@functions_framework.http
def api(request):
    """The HTTP API, /api/v1/... (Firebase Auth; see buildtrace.api)."""
    return _api()(request)
