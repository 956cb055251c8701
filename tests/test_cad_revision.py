"""CAD revisions (synth_cad.py): the example DXF drawings edited entity by entity and
plotted again, as a drafter's revision is; every edit found, text edits exact, the re-plot
aligned within a point."""

import pypdfium2 as pdfium
import pytest

from buildtrace.engine.compare import PairOptions, compare_pair
from buildtrace.engine.drawing_set import open_set
from buildtrace.engine.identify import identify_page
from buildtrace.synth import score_pair
from buildtrace.synth_cad import (EDIT_KINDS, PT_PER_MM, TITLE_BAND_MM, make_cad_revision,
                                  read_dxf)
from conftest import JP_HOUSE

DXF = JP_HOUSE / "dxf"


def _compared(truth, out):
    with open_set(truth["old"]) as so, open_set(truth["new"]) as sn:
        po, pn = so.page(0), sn.page(0)
        r = compare_pair(po, pn, identify_page(po), identify_page(pn), str(out), "p",
                         PairOptions(dpi=150, tiles=False))
        return r, score_pair(r, truth, pn.size_pt)


def test_the_dxf_is_read_as_its_plot_draws_it():
    items = read_dxf(DXF / "bldg01_floor_plan_completed.dxf")
    kinds = {it.kind for it in items}
    assert kinds == {"line", "arc", "circle", "text"}
    texts = {it.text for it in items if it.kind == "text"}
    assert {"寝室", "1,820"} <= texts  # from the blocks the model space references
    assert sum(it.kind == "line" for it in items) > 2000


@pytest.mark.parametrize("dxf, seed", [
    # a wall line cut back 12 pt, and a detail copied 320 pt away: a stroke of the copy
    # matched the cut-off stroke, and the cut was reported as that stroke moved
    ("bldg01_floor_plan_completed.dxf", 14013983),
    # re-plotted 2.1 % smaller and moved; a dimension retyped 10.965 -> 18.965
    ("bldg04_site_plan.dxf", 13545557),
    ("bldg04_floor_plan_completed.dxf", 2836768),
])
def test_a_cad_revision_is_found_edit_by_edit(tmp_path, dxf, seed):
    truth = make_cad_revision(DXF / dxf, tmp_path, seed)
    assert len(truth["edits"]) == 5 and {e["edit"] for e in truth["edits"]} <= set(EDIT_KINDS)
    # nothing is edited in the title block band, which the engine reports apart
    h_pt = 297 * PT_PER_MM
    assert all(e["bbox"][3] < h_pt - TITLE_BAND_MM * PT_PER_MM + 20 for e in truth["edits"])
    r, s = _compared(truth, tmp_path / "out")
    assert r["alignment"]["ok"]
    assert s["found"] == s["edits"], [e["edit"] for e in truth["edits"]]
    assert s["text_found"] == s["text_edits"]
    assert s["alignment_error_pt"] <= 1.0
    assert s["precision"] >= 0.95


def test_a_re_plot_is_drawn_at_its_scale_and_offset(tmp_path):
    """The truth's matrix is the re-plot's: a word of the old sheet mapped by it lands on
    the same word of the new one."""
    truth = make_cad_revision(DXF / "bldg01_site_plan.dxf", tmp_path, 11, replot=True,
                              kinds=["add"])
    (a, b, c), (d, e, f) = truth["matrix"]
    assert abs(a - 1) > 1e-4 and b == d == 0
    with open_set(truth["old"]) as so, open_set(truth["new"]) as sn:
        old = {w.text: w.bbox for w in so.page(0).words()}
        new = {w.text: w.bbox for w in sn.page(0).words()}
    once = [t for t in old if t in new and len(t) > 3]
    assert once
    for t in once[:10]:
        x0, y0, x1, y1 = old[t]
        want = (a * x0 + c, e * y0 + f, a * x1 + c, e * y1 + f)
        assert all(abs(p - q) < 0.5 for p, q in zip(want, new[t])), (t, want, new[t])
    pdf = pdfium.PdfDocument(truth["new"])
    assert len(pdf) == 1
    pdf.close()


def test_a_vertical_dimension_retyped_is_one_text_change(tmp_path):
    """A "1,820" running upwards retyped "1,620": one change with the whole dimension
    before and after (it was "8" -> "6", the text read a character a word)."""
    from dataclasses import replace

    from buildtrace.synth_cad import plot

    items = read_dxf(DXF / "bldg01_floor_plan_completed.dxf")
    i = next(i for i, it in enumerate(items)
             if it.kind == "text" and it.text == "1,820" and it.rotation % 180 == 90)
    plot(items, tmp_path / "old.pdf")
    items[i] = replace(items[i], text="1,620")
    plot(items, tmp_path / "new.pdf")
    truth = {"old": str(tmp_path / "old.pdf"), "new": str(tmp_path / "new.pdf"),
             "matrix": [[1, 0, 0], [0, 1, 0]], "edits": []}
    r, _ = _compared(truth, tmp_path / "out")
    assert [(c["kind"], c["text_before"], c["text_after"]) for c in r["changes"]] == [
        ("modified", "1,820", "1,620")]
    assert '"1,820" became "1,620"' in r["summary"]


@pytest.mark.parametrize("dxf, seed, which", [
    # a window tag moved 145 pt with its name and its code "02613": the code, digits only,
    # paired as moved only within 2 in before, unless it had a letter
    ("bldg04_floor_plan_completed.dxf", 8842193, None),
    # a window tag moved with stubs of its walls, whose old place clustered in pieces
    # around the lines that stayed: the two sides were not alike, and the correlation of
    # the old place (holding more than what moved) with the new one was 0.76
    ("bldg01_floor_plan_completed.dxf", 14013983, None),
    # tables of coordinates ("0.000 | 10.965 | 7.249"), figures only, moved 150-250 pt:
    # each figure was a removed text and the table an added one
    ("bldg04_site_plan.dxf", 404, None),
    # the north arrow moved without its long needles (they crossed the selection window):
    # its two sides correlated by 0.74, yet each is wholly the other
    ("bldg04_site_plan.dxf", 3974303, 1),
    # two closets labelled "物入" moved with their walls: each label was paired with the
    # other's old place (nearer), so the words had two displacements
    ("bldg04_floor_plan_completed.dxf", 606, 1),
    # a window tag's leader ("o-o") moved across a wall that stayed: its old place, the
    # leader cut by the wall, correlated with its new one by 0.39 and stayed apart as a
    # removal and an addition beside the move
    ("bldg04_floor_plan_completed.dxf", 994666, 0),
    # a stair moved with a piece of a WC's outline, 5 pt beside the rest of its old place:
    # the move's displacement, measured on its two clusters, was 2 pt off, so the piece's
    # ink was not found where the move took it
    ("bldg04_floor_plan_completed.dxf", 1414, 4),
])
def test_a_selection_moved_is_one_moved_change(tmp_path, dxf, seed, which):
    truth = make_cad_revision(DXF / dxf, tmp_path, seed)
    r, _ = _compared(truth, tmp_path / "out")
    moves = [e for i, e in enumerate(truth["edits"])
             if e["edit"] == "move" and which in (None, i)]
    assert moves

    def near(a, b, pad=6.0):
        return a[0] - pad < b[2] and b[0] - pad < a[2] and a[1] - pad < b[3] and b[1] - pad < a[3]

    one = 0
    for e in moves:
        touching = [c for c in r["changes"] if near(c["bbox"], e["bbox"])
                    or near(c["bbox"], e["from_bbox"])
                    or (c.get("from_bbox") and near(c["from_bbox"], e["from_bbox"]))]
        one += (len(touching) == 1 and touching[0]["kind"] == "moved"
                and near(touching[0]["from_bbox"], e["from_bbox"])
                and all(t["kind"] == "moved" for t in touching[0]["text_changes"]))
    assert one == len(moves)
