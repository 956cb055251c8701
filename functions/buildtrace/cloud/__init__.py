"""Cloud adapters around the engine: GCS, Firestore, Workflows executions, structured logs.

Nothing here compares drawings; every step downloads its inputs, calls the engine
(``buildtrace.engine``) and records what it got. ``functions/main.py`` and the Cloud Run
job (``python -m buildtrace.cloud.diff_job``) are thin entry points over ``pipeline``.
"""
