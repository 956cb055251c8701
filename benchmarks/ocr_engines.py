"""Compare OCR engines on the Transatomic title blocks, text layer ignored.

    .venv/bin/python -m benchmarks.ocr_engines      (needs Debian's tesseract-ocr for tesseract)

For each sheet, the bottom-right title-block band is rendered and OCR'd; a sheet counts as
read when its drawing number (the file name) appears in the OCR text once letter/digit
confusions are repaired. This is how RapidOCR was chosen over tesseract (see ocr.py).
"""

from __future__ import annotations

import pathlib
import shutil
import subprocess
import tempfile
import time

from buildtrace.engine.drawing_set import open_set
from buildtrace.engine.identify import OCR_REGIONS
from buildtrace.engine.ocr import RapidOcrRecognizer
from buildtrace.engine.sheet_number import parse_sheet_number

ROOT = pathlib.Path(__file__).resolve().parent.parent
SHEETS = sorted((ROOT / "examples" / "drawings" / "transatomic").glob("*.pdf"))


def _found(text: str, truth: str) -> bool:
    words = text.split()
    for i in range(len(words)):
        for j in range(i + 1, min(len(words), i + 3) + 1):
            n = parse_sheet_number(" ".join(words[i:j]))
            if n and truth.startswith(n.key):
                return True
    return False


def main() -> None:
    import cv2

    engines = {"rapidocr": RapidOcrRecognizer()}
    engines["rapidocr"]._get()
    have_tesseract = shutil.which("tesseract") is not None
    totals = {"rapidocr": [0, 0.0], "tesseract": [0, 0.0]}
    with tempfile.TemporaryDirectory() as tmp:
        for path in SHEETS:
            truth = "E0002" if path.stem == "one-line-diagram" else path.stem[:4]
            with open_set(path) as s:
                page = s.page(0)
                fx0, fy0, fx1, fy1 = OCR_REGIONS[0]
                raster = page.render(dpi=150, region=(fx0 * page.width_pt, fy0 * page.height_pt,
                                                      fx1 * page.width_pt, fy1 * page.height_pt))
            t = time.perf_counter()
            text = " ".join(w.text for w in engines["rapidocr"].recognize(raster))
            totals["rapidocr"][1] += time.perf_counter() - t
            totals["rapidocr"][0] += _found(text, truth)
            if have_tesseract:
                png = pathlib.Path(tmp) / "tb.png"
                big = cv2.resize(raster, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
                cv2.imwrite(str(png), big)
                t = time.perf_counter()
                text = subprocess.run(["tesseract", str(png), "-", "--psm", "11"],
                                      capture_output=True, text=True).stdout
                totals["tesseract"][1] += time.perf_counter() - t
                totals["tesseract"][0] += _found(text, truth)
    n = len(SHEETS)
    for name, (ok, secs) in totals.items():
        if name == "tesseract" and not have_tesseract:
            print("tesseract: not installed (apt-get install tesseract-ocr)")
            continue
        print(f"{name:<10} {ok}/{n} drawing numbers read, {secs / n:.2f} s/page")


if __name__ == "__main__":
    main()
