"""``python -m buildtrace.localstack up|down`` (see :mod:`buildtrace.localstack.stack`)."""

import argparse
import sys

from .stack import ROOT, StackError, down, up


def main() -> int:
    ap = argparse.ArgumentParser(prog="python -m buildtrace.localstack")
    ap.add_argument("command", choices=["up", "down"])
    ap.add_argument("--dir", default=str(ROOT / ".stack"))
    ap.add_argument("--base-port", type=int, default=18000,
                    help="ports are offsets from this (Firestore +80, Pub/Sub +85, GCS +43, "
                         "Auth +99, functions +90, workflow runner +91)")
    a = ap.parse_args()
    try:
        if a.command == "up":
            up(a.dir, a.base_port)
        else:
            down(a.dir)
    except StackError as exc:
        print(f"stack: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
