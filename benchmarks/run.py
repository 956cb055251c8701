"""`make bench`: reading and identifying the 19-sheet Transatomic set (34×22 in scans).

Each measurement runs in a fresh child process so that its peak memory (max RSS) is its own.
Prints a table; ``--json`` prints the figures as JSON as well.
"""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys
import tempfile
import time

from benchmarks.measure import peak_mb

ROOT = pathlib.Path(__file__).resolve().parent.parent
SHEETS = sorted((ROOT / "examples" / "drawings" / "transatomic").glob("*.pdf"))


def _truth(path: pathlib.Path) -> str:
    return "E0002" if path.stem == "one-line-diagram" else path.stem


def phase(name: str, set_path: str) -> dict:
    """Run one measurement in this process and return its figures."""
    from buildtrace.engine.drawing_set import open_set
    from buildtrace.engine.identify import identify_set
    from buildtrace.engine.ocr import RapidOcrRecognizer

    out: dict = {"phase": name}
    t0 = time.perf_counter()
    with open_set(set_path) as s:
        n = len(s)
        if name == "read-words":
            for page in s:
                page.words()
        elif name == "read-raster-150":
            for page in s:
                page.words()
                page.render(dpi=150)
        elif name in ("identify-text", "identify-ocr"):
            rec = RapidOcrRecognizer()
            if name == "identify-ocr":
                rec._get()  # model loading is a one-off per process; not per page
                t0 = time.perf_counter()
            sheets, _ = identify_set(s, recognizer=rec, use_text_layer=(name == "identify-text"))
            truth = [_truth(p) for p in SHEETS]
            out["correct"] = sum(a.key == t for a, t in zip(sheets, truth))
            out["wrong_but_confident"] = sum(a.key != t and a.confidence >= 0.8
                                             for a, t in zip(sheets, truth))
            out["sources"] = sorted({a.source for a in sheets})
    dt = time.perf_counter() - t0
    out.update(pages=n, seconds=round(dt, 3), pages_per_s=round(n / dt, 2),
               ms_per_page=round(1000 * dt / n, 1),
               peak_rss_mb=round(peak_mb(), 1))
    return out


def main() -> None:
    from buildtrace.synth import merge_pdfs

    with tempfile.TemporaryDirectory() as tmp:
        set_path = merge_pdfs(SHEETS, pathlib.Path(tmp) / "transatomic.pdf")
        results = []
        for name in ("read-words", "read-raster-150", "identify-text", "identify-ocr"):
            r = subprocess.run([sys.executable, "-m", "benchmarks.run", "--phase", name,
                                set_path], capture_output=True, text=True, cwd=ROOT, check=True)
            results.append(json.loads(r.stdout.strip().splitlines()[-1]))
    print(f"Transatomic set: {len(SHEETS)} scanned sheets, 34x22 in, one PDF")
    print(f"{'phase':<18} {'pages/s':>8} {'ms/page':>8} {'peak MB':>8}  accuracy")
    for r in results:
        acc = (f"{r['correct']}/{r['pages']} right, {r['wrong_but_confident']} wrong with "
               f"high confidence ({','.join(r['sources'])})" if "correct" in r else "")
        print(f"{r['phase']:<18} {r['pages_per_s']:>8} {r['ms_per_page']:>8} "
              f"{r['peak_rss_mb']:>8}  {acc}")
    print("read-words: open + text layer of every page; read-raster-150: plus a full 150 DPI "
          "grayscale raster (5100x3300); identify-ocr: text layer ignored, title block OCR'd "
          "(model load excluded, about 1 s once per process)")
    if "--json" in sys.argv:
        print(json.dumps(results))


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--phase":
        print(json.dumps(phase(sys.argv[2], sys.argv[3])))
    else:
        main()
