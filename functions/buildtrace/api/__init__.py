"""The HTTP API (one function, ``api`` in functions/main.py): projects, versions, jobs,
overlays, manual alignment and pairing, summaries, change review, reports.

Every route needs a Firebase ID token (``Authorization: Bearer …``, verified with
firebase-admin, revocation checked) and reaches only projects the user owns or is a
member of; another firm's objects answer 404, so their existence does not leak. Every
write is recorded in ``audit/``. The OpenAPI document is served at
``/api/v1/openapi.json`` and built from the same route table the app dispatches on.
"""
