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
