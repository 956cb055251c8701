"""Moved views (moved_views.py): a large part of a sheet moved as a whole is one moved
change, and what changed inside it is found where it is now."""

import ctypes
import re

import cv2
import numpy as np
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest

from buildtrace.engine.compare import PairOptions, compare_pair
from buildtrace.engine.drawing_set import open_set
from buildtrace.engine.identify import identify_page
from buildtrace.synth import SYNTH_DPI, _map_box, _rescan, make_revision, raster_pdf
from conftest import JP_HOUSE, TRANSATOMIC


def _compare(old, new, out):
    with open_set(old) as so, open_set(new) as sn:
        po, pn = so.page(0), sn.page(0)
        return compare_pair(po, pn, identify_page(po), identify_page(pn), str(out), "p",
                            PairOptions(dpi=150))


def _hit(a, b, pad=6.0):
    return a[0] < b[2] + pad and b[0] - pad < a[2] and a[1] < b[3] + pad and b[1] - pad < a[3]


def _vector_view_moved(src, out, box, dx, dy):
    """``src`` with every page object inside ``box`` (points, top-left origin) moved by
    (dx, dy) points (y down): a CAD view placed elsewhere on the sheet."""
    pdf = pdfium.PdfDocument(str(src))
    page = pdf[0]
    h = page.get_height()
    moved = 0
    for i in range(pdfium_c.FPDFPage_CountObjects(page.raw)):
        obj = pdfium_c.FPDFPage_GetObject(page.raw, i)
        l, b, r, t = (ctypes.c_float() for _ in range(4))
        pdfium_c.FPDFPageObj_GetBounds(obj, l, b, r, t)
        if l.value >= box[0] and h - t.value >= box[1] and r.value <= box[2] \
                and h - b.value <= box[3]:
            pdfium_c.FPDFPageObj_Transform(obj, 1, 0, 0, 1, dx, -dy)
            moved += 1
    pdfium_c.FPDFPage_GenerateContent(page.raw)
    pdf.save(str(out))
    pdf.close()
    return moved


def test_a_vector_view_moved_is_one_moved_change_and_its_words_are_no_text_changes(tmp_path):
    """The jp-house plans (2,235 objects in the left half) moved 30 pt right and 20 pt
    down, the title block and the rest in place: before, one "modified" region the size of
    the plans, two moved pieces and 267 text changes. Now one change, moved by the shift,
    its words no changes (a few split differently by the text layer may read as moved),
    and the summary says a part of the sheet moved as a whole."""
    old, new = JP_HOUSE / "floor-plans.pdf", tmp_path / "new.pdf"
    assert _vector_view_moved(old, new, (0, 0, 595, 674), 30, 20) > 2000
    result = _compare(old, new, tmp_path / "out")
    changes = result["changes"]
    assert [c["kind"] for c in changes] == ["moved"], changes
    (view,) = changes
    assert np.allclose(view["view_shift_pt"], (30, 20), atol=0.3), view
    assert np.allclose(np.subtract(view["bbox"], view["from_bbox"]), [30, 20] * 2, atol=0.5)
    assert all(t["kind"] == "moved" for t in view.get("text_changes", [])), view
    assert len(view.get("text_changes", [])) <= 5, view["text_changes"]
    assert re.search(r"moved as a whole, 30 pt \(0\.4\d in\) right and 20 pt \(0\.2\d in\) "
                     r"down", result["summary"]), result["summary"]


@pytest.mark.parametrize("dx, dy, moved_words", [(5, 3, 0), (-16, 17.5, 5)])
def test_a_view_nudged_a_few_points_is_one_moved_change(tmp_path, dx, dy, moved_words):
    """5 pt, and 16-17.5 pt (past the near search's reach, 12 pt). Its words are no text
    changes; a few split differently by the text layer may read as moved (as in the test
    above)."""
    old, new = JP_HOUSE / "floor-plans.pdf", tmp_path / "new.pdf"
    _vector_view_moved(old, new, (0, 0, 595, 674), dx, dy)
    changes = _compare(old, new, tmp_path / "out")["changes"]
    assert [c["kind"] for c in changes] == ["moved"], changes
    assert np.allclose(changes[0]["view_shift_pt"], (dx, dy), atol=0.3)
    texts = changes[0].get("text_changes", [])
    assert all(t["kind"] == "moved" for t in texts) and len(texts) <= moved_words, texts


def _scanned_view_moved(src, d, box_frac, dx, dy, seed):
    """A scan of page 0 of ``src`` and a re-scan of it (rotated, scaled, shifted, noisy)
    whose part ``box_frac`` (fractions of the sheet) moved by (dx, dy) points, with a
    detail erased and one added inside the moved part; the pair and the truth (the
    edits' boxes in new-sheet points)."""
    with open_set(src) as s:
        page = s.page(0)
        w, h = page.size_pt
        raster = page.render(dpi=SYNTH_DPI)
    k = SYNTH_DPI / 72.0
    x0, y0, x1, y1 = (int(v) for v in (box_frac[0] * w * k, box_frac[1] * h * k,
                                       box_frac[2] * w * k, box_frac[3] * h * k))
    new = raster.copy()
    patch = raster[y0:y1, x0:x1].copy()
    new[y0:y1, x0:x1] = 255
    ox, oy = int(round(dx * k)), int(round(dy * k))
    np.minimum(new[y0 + oy:y1 + oy, x0 + ox:x1 + ox], patch, out=new[y0 + oy:y1 + oy,
                                                                     x0 + ox:x1 + ox])
    # inside the moved part: erase the inkiest 40 pt box near its centre, add a detail
    cx, cy = (x0 + x1) // 2 + ox, (y0 + y1) // 2 + oy
    side = int(40 * k)
    best = max(((cx + i * side, cy + j * side) for i in (-3, -2, -1) for j in (-2, -1, 0, 1)),
               key=lambda p: (new[p[1]:p[1] + side, p[0]:p[0] + side] < 128).sum())
    erased = (*best, best[0] + side, best[1] + side)
    new[erased[1]:erased[3], erased[0]:erased[2]] = 255
    added = (cx + int(30 * k), cy + int(20 * k), cx + int(80 * k), cy + int(60 * k))
    cv2.rectangle(new, added[:2], added[2:], 0, 3)
    cv2.line(new, added[:2], added[2:], 0, 3)
    new, matrix, _stretch = _rescan(new, np.random.default_rng(seed), (w, h))
    truth = {"removed": _map_box([v / k for v in erased], matrix),
             "added": _map_box([v / k for v in added], matrix),
             "shift": (dx, dy)}
    old_pdf = raster_pdf(raster, [], (w, h), d / "old.pdf")
    new_pdf = raster_pdf(new, [], (w, h), d / "new.pdf")
    return old_pdf, new_pdf, truth


def test_changes_inside_a_moved_view_are_found_where_it_is_now(tmp_path):
    """Re-scans (rotated, scaled, noisy) whose part moved, with a detail erased and one
    added inside that part: the part is one moved change, the erasure and the addition are
    found where they are, and nothing else is reported."""
    for src, frac, (dx, dy), seed in (
            (JP_HOUSE / "floor-plans.pdf", (0.08, 0.1, 0.45, 0.75), (30, 20), 5),
            (TRANSATOMIC / "M201.pdf", (0.1, 0.1, 0.5, 0.6), (-24, 12), 6)):
        d = tmp_path / src.stem
        d.mkdir()
        old, new, truth = _scanned_view_moved(src, d, frac, dx, dy, seed)
        changes = _compare(old, new, d / "out")["changes"]
        views = [c for c in changes if c.get("view_shift_pt")]
        assert len(views) == 1, changes
        # the shift in the new sheet's points, as the re-scan scaled it (±1.5 %)
        assert np.hypot(*np.subtract(views[0]["view_shift_pt"], (dx, dy))) < 1.5, views
        others = [c for c in changes if c is not views[0]]
        assert any(c["kind"] == "added" and _hit(c["bbox"], truth["added"]) for c in others)
        assert any(c["kind"] in ("removed", "modified") and _hit(c["bbox"], truth["removed"])
                   for c in others), (truth, others)
        assert all(_hit(c["bbox"], truth["added"]) or _hit(c["bbox"], truth["removed"])
                   for c in others), (truth, others)


def test_an_ordinary_revision_has_no_moved_view(tmp_path):
    """Edits of every kind the generator makes, moves of details 1-3 in and nudges
    included: none of them is taken for a moved view."""
    for src, seed in ((TRANSATOMIC / "M105.pdf", 71), (JP_HOUSE / "site-plan.pdf", 72)):
        truth = make_revision(src, tmp_path / src.stem, seed, n_edits=8, kinds=(
            "move", "nudge", "erase", "add", "text", "copy", "scale", "thicken"))
        changes = _compare(truth["old"], truth["new"], tmp_path / src.stem / "out")["changes"]
        assert changes and not [c for c in changes if c.get("view_shift_pt")], changes


def test_views_the_generator_moved_are_found_with_their_shift(tmp_path):
    """synth's moved views (``view_pt``: a large part of the sheet moved 3-36 pt, then
    edits, some inside it): the view is one moved view with its shift, within 1 pt, and
    every other edit is found. On M105 the view moved 5.5 pt, and its sparse lines each
    left a region of their own, none 2 in across: they are looked at together. On M201 it
    moved 8.7 pt, and the paper-stretch field bent to follow it (up to 8.5 pt, 6-9 pt off
    across the sheet's left half, one "modified" region of 28,000 pt²): a field that steep
    is no paper stretch. On the floor plans (seed 4108493) the view moved (-1.5, -7.1) pt
    was found, then a room's label moved with it took it in as a piece of the label, and
    the change lost its shift. On M111 (seed 2243309) the view moved (-16.1, 17.5) pt,
    past the near search's 12 pt: its best shift lay on the search's edge, (-12, 12),
    refined within 3 pt of that to (-15.4, 15.3), and the view's content was compared
    2.3 pt out of register (63 changes off the edits)."""
    for src, seed in ((TRANSATOMIC / "M105.pdf", 605), (JP_HOUSE / "floor-plans.pdf", 604),
                      (TRANSATOMIC / "M201.pdf", 1127408),
                      (JP_HOUSE / "floor-plans.pdf", 4108493), (TRANSATOMIC / "M111.pdf", 2243309)):
        truth = make_revision(src, tmp_path / str(seed), seed, view_pt=36.0, n_edits=4,
                              kinds=("erase", "add", "note", "text"))
        changes = _compare(truth["old"], truth["new"], tmp_path / str(seed) / "out")["changes"]
        (view,) = [e for e in truth["edits"] if e.get("view")]
        shift = np.subtract(view["bbox"][:2], view["from_bbox"][:2])
        found = [c for c in changes if c.get("view_shift_pt")]
        assert len(found) == 1 and np.hypot(*(found[0]["view_shift_pt"] - shift)) <= 1.0, \
            (shift, changes)
        others = [c for c in changes if not c.get("view_shift_pt")]
        for e in truth["edits"]:
            if not e.get("view"):
                assert any(_hit(c["bbox"], e["bbox"]) for c in others), (e, others)
