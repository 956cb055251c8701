"""Structured logs: one JSON object a line on stdout, which Cloud Logging reads as
``jsonPayload`` (``severity`` and ``message`` are its special fields)."""

from __future__ import annotations

import json
import sys
import time


def log(message: str, severity: str = "INFO", **fields) -> None:
    entry = {"severity": severity, "message": message, "time": round(time.time(), 3)}
    entry.update({k: v for k, v in fields.items() if v is not None})
    sys.stdout.write(json.dumps(entry, default=str) + "\n")
    sys.stdout.flush()
