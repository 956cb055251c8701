"""Measuring helpers shared by the benchmarks."""

from __future__ import annotations

import resource


def peak_mb() -> float:
    """Peak RSS of this process in MB (VmHWM: unlike ru_maxrss it does not carry the
    parent's peak across exec, so a child process measures only itself)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
