"""The title block box, on the real sheets and on re-scans of them."""

import pytest

from buildtrace.engine.drawing_set import open_set
from buildtrace.engine.identify import identify_page
from buildtrace.engine.titleblock import find_title_block
from buildtrace.synth import make_revision
from conftest import JP_HOUSE, TRANSATOMIC


def _box(path):
    with open_set(path) as s:
        page = s.page(0)
        ident = identify_page(page)
        return find_title_block(page.render(dpi=100), 100, page.size_pt, ident.number_bbox)


def test_transatomic_title_column_and_jp_house_bottom_band():
    x0, y0, x1, y1 = (v / 72 for v in _box(TRANSATOMIC / "M101.pdf"))
    assert (x0, y0, x1, y1) == pytest.approx((27.6, 18.2, 34.0, 22.0), abs=0.15)
    x0, y0, x1, y1 = (v / 72 for v in _box(JP_HOUSE / "site-plan.pdf"))
    assert x0 < 1 and y0 == pytest.approx(10.4, abs=0.15) and y1 == pytest.approx(11.7, abs=0.1)


@pytest.mark.parametrize("name,seed", [("M201", 1000), ("M111", 1001), ("M250", 1003)])
def test_a_rescan_turned_by_up_to_a_degree_finds_the_same_box(tmp_path, name, seed):
    truth = make_revision(TRANSATOMIC / f"{name}.pdf", tmp_path, seed, n_edits=0)
    x0, y0, x1, y1 = (v / 72 for v in _box(truth["new"]))
    assert (x0, y0) == pytest.approx((27.6, 18.2), abs=0.5)  # inches


def test_without_a_sheet_number_there_is_no_title_block():
    """Nothing anchors it, and a guessed zone would hide design changes there as churn."""
    with open_set(JP_HOUSE / "site-plan.pdf") as s:
        page = s.page(0)
        assert find_title_block(page.render(dpi=100), 100, page.size_pt, None) is None


def _unruled_sheet(path, detail: bool):
    """A 36×24 in sheet whose title block has no ruled lines: the number "A-101" at the
    bottom right, a plan of 60 boxes (enough for the alignment's patches), and
    (``detail``) a detail box at 0.55 W, 0.76 H."""
    import numpy as np
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c
    from buildtrace.synth import stroke_box, write_text

    w, h = 36 * 72, 24 * 72
    pdf = pdfium.PdfDocument.new()
    page = pdf.new_page(w, h)
    rng = np.random.default_rng(3)
    boxes = [(rng.uniform(72, 1500), rng.uniform(72, 1100), rng.uniform(30, 200),
              rng.uniform(30, 200), True) for _ in range(60)]
    for x, y, bw, bh, on in [*boxes, (0.55 * w, 0.76 * h, 200, 150, detail)]:
        if on:
            stroke_box(page, (x, y, x + bw, y + bh), width_pt=1.0)
    pdfium_c.FPDFPage_GenerateContent(page.raw)
    page.close()
    write_text(pdf, 0, "SHEET", (w - 200, h - 90), 10)
    write_text(pdf, 0, "A-101", (w - 200, h - 60), 24)
    pdf.save(str(path))
    pdf.close()
    return path


def test_an_unruled_title_block_is_a_small_zone_at_the_number(tmp_path):
    """It used to be the sheet's whole bottom-right zone (half its width, 28 % of its
    height), which took in drawing content there."""
    x0, y0, x1, y1 = _box(_unruled_sheet(tmp_path / "s.pdf", detail=True))
    assert (x1, y1) == (36 * 72, 24 * 72)
    assert x0 > 0.55 * 36 * 72 + 200 and y0 > 0.76 * 24 * 72 + 150  # the detail is outside
