"""Pairing reordered revisions with sheets added, removed, renumbered and unreadable."""

import random

import pypdfium2 as pdfium
import pytest

from buildtrace.engine.drawing_set import open_set
from buildtrace.engine.errors import PairingError
from buildtrace.engine.identify import identify_page, identify_set
from buildtrace.engine.pairing import page_fingerprint, pair_sheets, title_similarity
from buildtrace.synth import cover_box, merge_pdfs, renumber
from conftest import transatomic_truth


def _identify(path):
    with open_set(path) as s:
        sheets, errors = identify_set(s)
    assert not errors
    return sheets


def _fingerprints(old_path, new_path):
    sets = {"old": open_set(old_path), "new": open_set(new_path)}
    return lambda side, page: page_fingerprint(sets[side].page(page))


@pytest.fixture(scope="module")
def revision(tmp_path_factory, transatomic_sheets):
    """old: 18 sheets (no M112) in file order. new: shuffled, M251 removed, M112 added,
    M205 renumbered M206, and M108 with its number and title blanked out."""
    tmp = tmp_path_factory.mktemp("pairing")
    by_name = {transatomic_truth(f): f for f in transatomic_sheets}
    old_files = [f for f in transatomic_sheets if transatomic_truth(f) != "M112"]
    old = merge_pdfs(old_files, tmp / "old.pdf")

    with open_set(by_name["M205"]) as s:
        box = identify_page(s.page(0)).number_bbox
    m206 = renumber(by_name["M205"], 0, box, "M206", tmp / "M206.pdf")

    with open_set(by_name["M108"]) as s:
        page = s.page(0)
        ident = identify_page(page)
        w, h = page.size_pt
    pdf = pdfium.PdfDocument(str(by_name["M108"]))
    x0, y0, x1, y1 = ident.number_bbox
    cover_box(pdf, 0, (x0 - 3, y0 - 3, x1 + 3, y1 + 3))
    cover_box(pdf, 0, (0.8 * w, 0.88 * h, 0.97 * w, 0.93 * h))  # the title cell
    pdf.save(str(tmp / "M108-blank.pdf"))
    blank = tmp / "M108-blank.pdf"

    new_names = [n for n in by_name if n not in ("M251",)]
    files = {n: by_name[n] for n in new_names}
    files["M205"] = m206
    files["M108"] = blank
    order = list(files)
    random.Random(7).shuffle(order)
    new = merge_pdfs([files[n] for n in order], tmp / "new.pdf")
    old_order = [transatomic_truth(f) for f in old_files]
    return old, new, old_order, order


def test_pairing_is_exact_on_a_reordered_revision(revision):
    old, new, old_order, new_order = revision
    old_ids, new_ids = _identify(old), _identify(new)
    result = pair_sheets(old_ids, new_ids, thumbnails=_fingerprints(old, new))
    got = {(old_order[p.old_page], new_order[p.new_page]): p for p in result.pairs}
    expected = {(n, n) for n in old_order if n != "M251"}
    assert set(got) == expected
    assert [old_order[i] for i in result.removed] == ["M251"]
    assert [new_order[i] for i in result.added] == ["M112"]
    assert [(p.old_number, p.new_number) for p in result.renumbered] == [("M205", "M206")]
    assert got[("M205", "M205")].method == "title"
    assert got[("M108", "M108")].method == "visual"
    assert all(p.method == "number" for k, p in got.items()
               if k[0] not in ("M205", "M108"))


def test_explicit_pairs_override(revision):
    old, new, old_order, new_order = revision
    old_ids, new_ids = _identify(old), _identify(new)
    o = old_order.index("M101")
    n = new_order.index("M109")
    result = pair_sheets(old_ids, new_ids, explicit=[(o, n)])
    forced = [p for p in result.pairs if p.method == "user"]
    assert [(p.old_page, p.new_page) for p in forced] == [(o, n)]
    # M109 (old) and M101 (new) lost their partners and are reported as such
    assert old_order.index("M109") in result.removed
    assert new_order.index("M101") in result.added


def test_explicit_pairs_are_checked(revision):
    old, new, *_ = revision
    old_ids, new_ids = _identify(old), _identify(new)
    with pytest.raises(PairingError):
        pair_sheets(old_ids, new_ids, explicit=[(0, 99)])
    with pytest.raises(PairingError):
        pair_sheets(old_ids, new_ids, explicit=[(0, 1), (0, 2)])


def test_without_any_evidence_sheets_stay_unpaired():
    from buildtrace.engine.identify import SheetIdentity

    old = [SheetIdentity(0, None, None, None, "none", 0.0)]
    new = [SheetIdentity(0, None, None, None, "none", 0.0)]
    result = pair_sheets(old, new)
    assert result.pairs == [] and result.removed == [0] and result.added == [0]


def test_title_similarity_tolerates_ocr_spacing():
    assert title_similarity("PROCESS FLOW DI AGRAM STEAM SYSTEM",
                            "PROCESSFLOWDIAGRAM STEAMSYSTEM") > 0.95
    assert title_similarity("PROCESS FLOW DIAGRAM STEAM SYSTEM",
                            "GENERAL ARRANGEMENT PLOT PLAN") < 0.5


def test_an_unreadable_page_keeps_its_place_and_is_not_added_or_removed():
    """A damaged page (identity refused) pairs by position with the unpaired page at the
    same index, so its comparison fails with the reason; no look is asked of it."""
    from buildtrace.engine.identify import SheetIdentity
    from buildtrace.engine.pairing import pair_sheets

    old = [SheetIdentity(0, "A101", "A101", "PLAN", "text", 0.9),
           SheetIdentity(1, "A102", "A102", "ELEVATIONS", "text", 0.9),
           SheetIdentity(2, "A103", "A103", "SECTIONS", "text", 0.9)]
    new = [SheetIdentity(0, "A101", "A101", "PLAN", "text", 0.9),
           SheetIdentity(1, None, None, None, "none", 0.0,
                         notes=["refused: the page cannot be read"]),
           SheetIdentity(2, "A103", "A103", "SECTIONS", "text", 0.9)]

    def look(side, page):
        assert not (side == "new" and page == 1), "an unreadable page has no look"
        import numpy as np
        return np.zeros((64, 96), np.float32)

    p = pair_sheets(old, new, thumbnails=look)
    by_new = {x.new_page: x for x in p.pairs}
    assert by_new[1].old_page == 1 and by_new[1].method == "position"
    assert p.added == [] and p.removed == []
    # a readable unpaired page is not paired by position
    new[1] = SheetIdentity(1, "A104", "A104", "DETAILS", "text", 0.9)
    p = pair_sheets(old, new)
    assert p.added == [1] and p.removed == [1]
