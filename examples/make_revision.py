"""Make the example pair of drawing sets from the real Transatomic sheets.

    python examples/make_revision.py OUT_DIR

writes OUT_DIR/rev-A.pdf (18 sheets: every Transatomic sheet but M112) and OUT_DIR/rev-B.pdf,
a later revision with known changes: the sheets reordered, M251 withdrawn, M112 added, M205
renumbered M206 (the number is painted over and reprinted, in the picture and in the text
layer, and the sheet re-scanned), and three sheets (M101, M108, M201) re-scanned slightly rotated and scaled with
drawing edits: details erased, added and moved, words rewritten, notes added
(buildtrace.synth.make_example_pair; OUT_DIR/edits.json lists them). The drawings are
MIT-licensed: see examples/drawings/LICENSE-drawings.md.
"""

from __future__ import annotations

import pathlib
import sys

from buildtrace.engine.drawing_set import open_set
from buildtrace.synth import make_example_pair

HERE = pathlib.Path(__file__).resolve().parent
SHEETS = HERE / "drawings" / "transatomic"


def main(out_dir: str) -> None:
    out = pathlib.Path(out_dir)
    rev_a, rev_b = make_example_pair(SHEETS, out)
    with open_set(rev_a) as a, open_set(rev_b) as b:
        print(f"wrote {rev_a} ({len(a)} sheets) and {rev_b} ({len(b)} sheets); the drawing "
              f"edits are listed in {out / 'edits.json'}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "out/demo")
