"""Line weights (line_weights.py): a vector sheet plotted with other pens is told from one
with edits, from the sheets' own path widths."""

import pytest

from buildtrace.engine.drawing_set import LINE_WEIGHT_SAMPLE, open_set, with_line_widths
from buildtrace.engine.line_weights import (MIN_LINES, MovedPen, line_weight_change,
                                            moved_pen_widths, moved_pens, pen_widths)
from buildtrace.synth import (add_vector_edits, moved_vector_copy, reweighted_vector_copy,
                              tiled_vector_sheet)
from conftest import JP_HOUSE

PLAN = {0.12: 1330, 0.48: 1056, 0.36: 584}  # the jp-house floor plans' pens (below)


def _weights(path):
    with open_set(str(path)) as s:
        return s.page(0).line_weights()


def test_a_sheet_s_line_weights_are_read_from_its_paths_and_forms(tmp_path):
    plan = JP_HOUSE / "floor-plans.pdf"
    assert _weights(plan) == PLAN
    # re-plotted moved (the drawing inside a form XObject): the same widths
    assert _weights(moved_vector_copy(plan, tmp_path / "m.pdf", 13.3, -7.1)) == PLAN
    # with another pen table: every width 1.6 times
    heavy = _weights(reweighted_vector_copy(plan, tmp_path / "h.pdf", 1.6))
    assert heavy == {round(w * 1.6, 3): n for w, n in PLAN.items()}


def test_other_pens_are_a_change_and_edits_or_a_move_are_not(tmp_path):
    plan = JP_HOUSE / "floor-plans.pdf"
    heavy = reweighted_vector_copy(plan, tmp_path / "h.pdf", 1.6)
    edited = add_vector_edits(heavy, tmp_path / "he.pdf", seed=3, n=3) and tmp_path / "he.pdf"
    change = line_weight_change(PLAN, _weights(edited))
    assert change is not None and change.kept_share < 0.05
    assert change.factor == pytest.approx(1.6, abs=0.01)
    light = line_weight_change(PLAN, {round(w * 0.7, 3): n for w, n in PLAN.items()})
    assert light is not None and light.factor == pytest.approx(0.7, abs=0.01)
    # edits add a few lines at their own widths; a move keeps every width
    add_vector_edits(plan, tmp_path / "e.pdf", seed=3, n=3)
    assert line_weight_change(PLAN, _weights(tmp_path / "e.pdf")) is None
    assert line_weight_change(PLAN, _weights(moved_vector_copy(plan, tmp_path / "m.pdf", 5, 5))) is None
    # one kind of line made heavier on purpose (the walls, 29 % of the lines): a design
    # change, not a pen table
    assert line_weight_change(PLAN, {0.12: 1330, 0.6: 1056, 0.36: 584}) is None


def test_a_sheet_plotted_at_another_scale_compares_its_widths_scaled():
    """Plotted at twice the size, every line is twice as wide: the same pens."""
    doubled = {round(2 * w, 3): n for w, n in PLAN.items()}
    assert line_weight_change(PLAN, doubled, scale=2.0) is None
    assert line_weight_change(PLAN, doubled, scale=1.0).factor == pytest.approx(2.0)


def test_too_few_lines_say_nothing():
    few = {0.5: MIN_LINES - 1}
    assert line_weight_change(few, {1.0: MIN_LINES - 1}) is None
    assert line_weight_change({}, PLAN) is None


def test_a_dense_sheet_s_line_weights_are_estimated_from_an_even_sample(tmp_path, monkeypatch):
    """The plans 16 times on one sheet (47,520 stroked paths): at most LINE_WEIGHT_SAMPLE
    widths are read, and the histogram they give has the sheet's lines and shares."""
    import pypdfium2.raw as pdfium_c

    dense = tiled_vector_sheet(JP_HOUSE / "floor-plans.pdf", tmp_path / "d.pdf")
    read = []
    real = pdfium_c.FPDFPageObj_GetStrokeWidth
    monkeypatch.setattr(pdfium_c, "FPDFPageObj_GetStrokeWidth",
                        lambda obj, width: read.append(1) or real(obj, width))
    weights = _weights(dense)
    assert 0 < len(read) <= LINE_WEIGHT_SAMPLE
    total = 16 * sum(PLAN.values())
    assert sum(weights.values()) == pytest.approx(total, rel=0.01)
    # the three pens, each scaled by the placement alike, in their shares
    assert len(weights) == 3
    scales = {round(w / p, 3) for w, p in zip(sorted(weights), sorted(PLAN))}
    assert len(scales) == 1
    for w, p in zip(sorted(weights), sorted(PLAN)):
        assert weights[w] / total == pytest.approx(PLAN[p] / sum(PLAN.values()), abs=0.015)
    assert line_weight_change(PLAN, weights, scale=scales.pop()) is None


def test_each_old_width_is_drawn_at_the_new_width_of_its_rank():
    # another pen table, every line 2.5 times as wide, and an edit's few lines of a new pen
    heavy = {round(w * 2.5, 3): n for w, n in PLAN.items()} | {0.7: 12}
    assert pen_widths(PLAN, heavy) == {0.12: 0.3, 0.36: 0.9, 0.48: 1.2}
    # the old sheet printed at half size (scale 0.5 to the new sheet's points): old points
    assert pen_widths(PLAN, {0.15: 1330, 0.45: 584, 0.6: 1056}, scale=0.5) == {
        0.12: 0.3, 0.36: 0.9, 0.48: 1.2}
    # pens that do not keep their order still take the widths of their ranks
    assert pen_widths({0.1: 10, 0.2: 10}, {0.5: 10, 0.3: 10}) == {0.1: 0.3, 0.2: 0.5}
    assert pen_widths({}, PLAN) == {} and pen_widths(PLAN, {}) == {}


def test_a_sheet_drawn_at_other_widths_is_a_copy_and_the_sheet_is_untouched(tmp_path):
    plan = JP_HOUSE / "floor-plans.pdf"
    before = plan.read_bytes()
    with open_set(plan) as s:
        page = s.page(0)
        ink = (page.render(dpi=100, smooth=False) < 160).sum()
        heavy = with_line_widths(page, {0.12: 0.36, 0.36: 1.08, 0.48: 1.44})
        try:
            assert heavy.drawing_set is not s
            assert heavy.line_weights() == {0.36: 1330, 1.44: 1056, 1.08: 584}
            assert (heavy.render(dpi=100, smooth=False) < 160).sum() > 1.25 * ink
            # a width not listed takes the ratio of the listed width nearest it
            other = with_line_widths(page, {0.12: 0.24})
            assert other.line_weights() == {0.24: 1330, 0.96: 1056, 0.72: 584}
            other.drawing_set.close()
        finally:
            heavy.drawing_set.close()
        assert (page.render(dpi=100, smooth=False) < 160).sum() == ink
    assert plan.read_bytes() == before


def test_one_pen_drawn_at_another_width_is_found_and_nothing_else_is(tmp_path):
    plan = JP_HOUSE / "floor-plans.pdf"
    walls = _weights(reweighted_vector_copy(plan, tmp_path / "w.pdf", 1.4 / 0.48, only=0.48))
    assert walls == {0.12: 1330, 1.4: 1056, 0.36: 584}
    assert line_weight_change(PLAN, walls) is None  # not a pen table: 64 % keep their width
    assert moved_pens(PLAN, walls) == [MovedPen(0.48, 1.4, 1056)]
    assert moved_pen_widths(PLAN, moved_pens(PLAN, walls)) == {0.12: 0.12, 0.36: 0.36, 0.48: 1.4}
    # a little heavier is still that pen; at half size the widths are scaled
    assert moved_pens(PLAN, {0.12: 1330, 0.6: 1056, 0.36: 584}) == [MovedPen(0.48, 0.6, 1056)]
    half = {w / 2: n for w, n in PLAN.items()}
    assert moved_pens(half, walls, scale=2.0) == [MovedPen(0.48, 1.4, 1056)]
    assert moved_pen_widths(half, moved_pens(half, walls, scale=2.0), scale=2.0) == {
        0.06: 0.06, 0.18: 0.18, 0.24: 0.7}
    # edits, a move, or half a pen's lines made heavier (the old width still drawn): none
    add_vector_edits(plan, tmp_path / "e.pdf", seed=3, n=3)
    assert moved_pens(PLAN, _weights(tmp_path / "e.pdf")) == []
    assert moved_pens(PLAN, _weights(moved_vector_copy(plan, tmp_path / "m.pdf", 5, 5))) == []
    assert moved_pens(PLAN, {0.12: 1330, 0.48: 528, 1.4: 528, 0.36: 584}) == []
    # as many lines of one width removed as another drawn, but not as many: none
    assert moved_pens(PLAN, {0.12: 1330, 1.4: 700, 0.36: 584}) == []
    assert moved_pens({}, PLAN) == [] and moved_pens(PLAN, {0.5: MIN_LINES - 1}) == []
