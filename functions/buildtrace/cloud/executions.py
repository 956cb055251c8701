"""Starting a workflow execution for a job.

In the cloud: the Workflows Executions API (google-cloud-workflows). On the local stack,
``BUILDTRACE_WORKFLOWS_URL`` points at the stack's runner, which serves the same REST
method (``POST /v1/{workflow}/executions`` with ``{"argument": "<json>"}``) and runs
workflows/compare.yaml itself.
"""

from __future__ import annotations

import json

from .config import settings


def start(job_id: str) -> str:
    """Start ``workflows/compare.yaml`` with ``{"jobId": job_id}``; returns the execution name."""
    s = settings()
    argument = json.dumps({"jobId": job_id})
    if s.workflows_url:
        import requests

        r = requests.post(f"{s.workflows_url}/v1/{s.workflow}/executions",
                          json={"argument": argument}, timeout=30)
        r.raise_for_status()
        return r.json()["name"]
    from google.cloud.workflows import executions_v1

    client = executions_v1.ExecutionsClient()
    execution = client.create_execution(parent=s.workflow,
                                        execution=executions_v1.Execution(argument=argument))
    return execution.name
