"""Text layers of scans are OCR readings: two of them differ where nothing printed did.

A pair with a scan whose two text layers disagree (each scan read by its own OCR run) must
not report those disagreements as changes; it lists them apart. Layers written by one
reader are diffed as before. Boxes are in PDF points of the new sheet, top-left origin."""

import pytest

from buildtrace.engine.compare import TRUSTED_AGREEMENT, PairOptions, compare_pair
from buildtrace.engine.drawing_set import open_set
from buildtrace.engine.identify import identify_page
from buildtrace.engine.report import render_html
from buildtrace.synth import make_revision, reread_text_layer, score_pair
from conftest import TRANSATOMIC


def _near(a, b, pad):
    return a[0] < b[2] + pad and b[0] - pad < a[2] and a[1] < b[3] + pad and b[1] - pad < a[3]


def _compare(old, new, out):
    with open_set(old) as so, open_set(new) as sn:
        po, pn = so.page(0), sn.page(0)
        r = compare_pair(po, pn, identify_page(po), identify_page(pn), str(out), "p",
                         PairOptions(dpi=150, tiles=False))
        return r, pn.size_pt


@pytest.fixture(scope="module")
def pairs(tmp_path_factory):
    d = tmp_path_factory.mktemp("layers")
    truth = make_revision(TRANSATOMIC / "M105.pdf", d, seed=31, n_edits=5,
                          kinds=("text", "erase", "add", "text", "move"))
    reread = reread_text_layer(truth["new"], d / "new-reread.pdf", seed=32, share=0.3)
    one_reader = _compare(truth["old"], truth["new"], d / "one")
    two_readers = _compare(truth["old"], reread["path"], d / "two")
    return truth, reread, one_reader, two_readers


def _places(truth):
    return [b for e in truth["edits"] for b in (e["bbox"], e.get("from_bbox")) if b]


def test_layers_read_apart_are_not_trusted_and_their_misreadings_are_not_changes(pairs):
    truth, reread, _, (r, size) = pairs
    assert len(reread["misread"]) > 60  # the test means something: many words misread
    layers = r["text_layers"]
    assert layers["trusted"] is False and layers["agreement"] < TRUSTED_AGREEMENT
    s = score_pair(r, truth, size)
    assert s["found"] == s["edits"]
    # every change lies on an edit: no misreading became a change
    off = [c for c in r["changes"] if not any(_near(c["bbox"], p, 6) for p in _places(truth))]
    assert off == []


def test_misreadings_away_from_the_edits_are_listed_apart(pairs):
    truth, reread, _, (r, _size) = pairs
    listed = r["text_layers"]["unconfirmed"]
    away = [(box, before) for box, before, _after in reread["misread"]
            if not any(_near(box, p, 12) for p in _places(truth))
            and any(ch.isalnum() for ch in before)]
    assert len(away) > 40
    hit = sum(any(_near(box, u["bbox"], 1) for u in listed) for box, _ in away)
    assert hit >= 0.8 * len(away)
    assert all(u["grid"] for u in listed)
    assert f"{len(listed)} such differences are listed apart" in r["summary"]


def test_text_edits_on_changed_ink_keep_their_before_and_after(pairs):
    truth, reread, _, (r, _size) = pairs
    # a text edit the second reader read as printed (one it misread cannot be exact)
    read = [e for e in truth["edits"] if e.get("text_before") and not any(
        _near(box, e["bbox"], 0) for box, _b, _a in reread["misread"])]
    assert read
    for e in read:
        assert any(_near(c["bbox"], e["bbox"], 3) and e["text_before"] in (c.get("text_before") or "")
                   and e["text_after"] in (c.get("text_after") or "") for c in r["changes"]), e


def test_layers_from_one_reader_are_trusted_and_diffed(pairs):
    truth, _, (r, size), _ = pairs
    layers = r["text_layers"]
    assert layers["trusted"] is True and layers["agreement"] >= TRUSTED_AGREEMENT
    assert "unconfirmed" not in layers
    s = score_pair(r, truth, size)
    assert s["found"] == s["edits"] and s["text_found"] == s["text_edits"]


def test_the_report_page_lists_them_folded_and_zoomable(pairs):
    _, _, _, (r, _size) = pairs
    pair = dict(r, old_page=0, new_page=0, number="M105", title="", old_number="M105",
                new_number="M105", match={"method": "number", "confidence": 1.0})
    page = render_html({"old": {"file": "old.pdf", "sheets": []},
                        "new": {"file": "new.pdf", "sheets": []}, "pairs": [pair],
                        "added_pages": [], "removed_pages": [], "summary": ""})
    folded = page.split("<details class=unconfirmed>")[1].split("</details>")[0]
    assert folded.count("<tr data-box=") == len(r["text_layers"]["unconfirmed"])
    assert "not counted as changes" in folded
