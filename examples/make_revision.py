"""Make the example pair of drawing sets from the real Transatomic sheets.

    python examples/make_revision.py OUT_DIR

writes OUT_DIR/rev-A.pdf (18 sheets: every Transatomic sheet but M112) and OUT_DIR/rev-B.pdf,
a later revision with known changes: the sheets reordered, M251 withdrawn, M112 added, M205
renumbered M206 (the number is painted over and reprinted, in the picture and in the text
layer, and the sheet re-scanned), and three sheets (M101, M108, M201) re-scanned slightly rotated and scaled with
drawing edits: details erased, added and moved, words rewritten, notes added
(buildtrace.synth.make_revision; OUT_DIR/edits.json lists them). The drawings are
MIT-licensed: see examples/drawings/LICENSE-drawings.md.
"""

from __future__ import annotations

import pathlib
import random
import sys

import json

from buildtrace.synth import make_revision, merge_pdfs

HERE = pathlib.Path(__file__).resolve().parent
SHEETS = HERE / "drawings" / "transatomic"


def main(out_dir: str) -> None:
    out = pathlib.Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = sorted(SHEETS.glob("*.pdf"))
    edited = {}
    for i, stem in enumerate(("M101", "M108", "M201")):
        edited[stem] = make_revision(SHEETS / f"{stem}.pdf", out / f"edit-{stem}", seed=100 + i,
                                     kinds=("erase", "add", "move", "text", "note"), n_edits=5)
    # M205 is re-scanned and renumbered M206: a renumbered sheet, paired by its title
    edited["M205"] = make_revision(SHEETS / "M205.pdf", out / "edit-M205", seed=99, n_edits=0,
                                   renumber_to="M206")
    (out / "edits.json").write_text(json.dumps(
        {k: {"edits": v["edits"], "matrix": v["matrix"]} for k, v in edited.items()}, indent=1))

    def version(f: pathlib.Path, side: str) -> pathlib.Path:
        return pathlib.Path(edited[f.stem][side]) if f.stem in edited else f

    rev_a = [version(f, "old") for f in files if f.stem != "M112"]
    rev_b = [version(f, "new") for f in files if f.stem != "M251"]
    random.Random(2026).shuffle(rev_b)
    merge_pdfs(rev_a, out / "rev-A.pdf")
    merge_pdfs(rev_b, out / "rev-B.pdf")
    for stem, truth in edited.items():
        for side in ("old", "new"):
            pathlib.Path(truth[side]).unlink()
        (out / f"edit-{stem}").rmdir()
    print(f"wrote {out / 'rev-A.pdf'} ({len(rev_a)} sheets) and {out / 'rev-B.pdf'} "
          f"({len(rev_b)} sheets); the drawing edits are listed in {out / 'edits.json'}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "out/demo")
