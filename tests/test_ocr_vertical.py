"""OCR of text that runs up the sheet (a drawing's vertical dimensions), with the real
RapidOCR models: read upwards, and a figure retyped on a scan reported whole."""

from dataclasses import replace

from buildtrace.engine.compare import PairOptions, compare_pair
from buildtrace.engine.drawing_set import open_set
from buildtrace.engine.identify import identify_page
from buildtrace.engine.ocr import RapidOcrRecognizer
from buildtrace.synth import raster_pdf
from buildtrace.synth_cad import plot, read_dxf
from conftest import JP_HOUSE


def test_vertical_dimensions_are_read_upwards():
    """RapidOCR's own pipeline turns a tall line a quarter counter-clockwise, which turns a
    line reading upwards upside down: of these dimensions of the floor plans (their text
    layer says what they read) it read none; read upwards, nearly all."""
    rec = RapidOcrRecognizer()
    with open_set(JP_HOUSE / "floor-plans.pdf") as s:
        page = s.page(0)
        upward = [w for w in page.words() if w.turns == 1 and "," in w.text][:12]
        assert len(upward) == 12
        read = 0
        for w in upward:
            x0, y0, x1, y1 = w.bbox
            got = rec.recognize(page.render(dpi=200, region=(x0 - 20, y0 - 20, x1 + 20, y1 + 20)))
            read += any(g.text == w.text and g.turns == 1 for g in got)
            # a word read up the raster has its box up the raster: taller than wide
            assert all(g.bbox[3] - g.bbox[1] > g.bbox[2] - g.bbox[0] for g in got if g.turns == 1)
    assert read >= 9


def test_a_vertical_dimension_retyped_on_a_scan_is_read_along_its_line(tmp_path):
    """The floor plan plotted, a vertical "1,820" retyped "4,775", both scanned without a
    text layer: OCR of the change region reports the whole figure before and after (it
    read "28" -> "4,77": the region was widened along x only, across the line)."""
    items = read_dxf(JP_HOUSE / "dxf" / "bldg01_floor_plan_completed.dxf")
    i = next(i for i, it in enumerate(items)
             if it.kind == "text" and it.text == "1,820" and it.rotation % 180 == 90)
    plot(items, tmp_path / "old.pdf")
    items[i] = replace(items[i], text="4,775")
    plot(items, tmp_path / "new.pdf")
    for side in ("old", "new"):
        with open_set(tmp_path / f"{side}.pdf") as s:
            page = s.page(0)
            raster_pdf(page.render(dpi=200), [], page.size_pt, tmp_path / f"{side}-scan.pdf")
    with open_set(tmp_path / "old-scan.pdf") as so, open_set(tmp_path / "new-scan.pdf") as sn:
        po, pn = so.page(0), sn.page(0)
        assert po.words() == [] and pn.words() == []
        r = compare_pair(po, pn, identify_page(po), identify_page(pn), str(tmp_path / "out"),
                         "p", PairOptions(dpi=150, tiles=False))
    texts = [(t["text_before"], t["text_after"]) for c in r["changes"]
             for t in c["text_changes"]]
    assert texts == [("1,820", "4,775")]
