"""A per-user rate limit: a token bucket per uid, per API instance.

``RATE`` requests a second on average, bursts of ``BURST``; beyond that 429 with
``Retry-After``. Per instance (in memory): with N instances a user gets up to N times the
rate, which bounds abuse without a shared counter on every request.
"""

from __future__ import annotations

import math
import os
import threading
import time

from .errors import ApiError

RATE = float(os.environ.get("BUILDTRACE_API_RATE", "10"))
BURST = float(os.environ.get("BUILDTRACE_API_BURST", "60"))
_buckets: dict[str, tuple[float, float]] = {}
_lock = threading.Lock()


def take(uid: str, rate: float | None = None, burst: float | None = None) -> None:
    rate, burst = rate or RATE, burst or BURST
    now = time.monotonic()
    with _lock:
        tokens, last = _buckets.get(uid, (burst, now))
        tokens = min(burst, tokens + (now - last) * rate)
        if tokens < 1.0:
            _buckets[uid] = (tokens, now)
            wait = max(1, math.ceil((1.0 - tokens) / rate))
            raise ApiError(429, f"too many requests: try again in {wait} s",
                           headers={"Retry-After": str(wait)})
        _buckets[uid] = (tokens - 1.0, now)
