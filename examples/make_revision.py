"""Make the example pair of drawing sets from the real Transatomic sheets.

    python examples/make_revision.py OUT_DIR

writes OUT_DIR/rev-A.pdf (18 sheets: every Transatomic sheet but M112) and OUT_DIR/rev-B.pdf,
a later revision with known changes: the sheets reordered, M251 withdrawn, M112 added, and
M205 renumbered M206 (the number is painted over and reprinted, in the picture and in the
text layer). The drawings are MIT-licensed: see examples/drawings/LICENSE-drawings.md.
"""

from __future__ import annotations

import pathlib
import random
import sys

from buildtrace.engine.drawing_set import open_set
from buildtrace.engine.identify import identify_page
from buildtrace.synth import merge_pdfs, renumber

HERE = pathlib.Path(__file__).resolve().parent
SHEETS = HERE / "drawings" / "transatomic"


def main(out_dir: str) -> None:
    out = pathlib.Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = sorted(SHEETS.glob("*.pdf"))
    rev_a = [f for f in files if f.stem != "M112"]
    merge_pdfs(rev_a, out / "rev-A.pdf")

    m205 = SHEETS / "M205.pdf"
    with open_set(m205) as s:
        box = identify_page(s.page(0)).number_bbox
    m206 = renumber(m205, 0, box, "M206", out / "M206.pdf")
    rev_b = [m206 if f.stem == "M205" else f for f in files if f.stem != "M251"]
    random.Random(2026).shuffle(rev_b)
    merge_pdfs(rev_b, out / "rev-B.pdf")
    pathlib.Path(m206).unlink()
    print(f"wrote {out / 'rev-A.pdf'} ({len(rev_a)} sheets) and {out / 'rev-B.pdf'} "
          f"({len(rev_b)} sheets)")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "out/demo")
