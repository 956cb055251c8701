"""Text a vector sheet draws as lines (CAD's SHX fonts), beside a text layer.

AutoCAD plots text in SHX fonts (romans.shx, often its dimensions' style) as strokes: a
sheet has a text layer for its TrueType notes and none for those. A changed dimension drawn
so is read by OCR where neither layer has a word, and reported with its before and after;
a graphic edit there is not read. Boxes are in PDF points of the new sheet, top-left
origin, y down."""

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest

from buildtrace.engine.compare import PairOptions, _dimension_form, _read_enough, compare_pair
from buildtrace.engine.drawing_set import open_set
from buildtrace.engine.identify import identify_page
from buildtrace.engine.text_diff import TextChange
from buildtrace.synth import blank_places, drawn_text, stroke_box
from conftest import JP_HOUSE

#: (old, new) texts drawn in strokes 7 pt tall, each at its own blank place
DRAWN = [("3,640", "3,460"), ("W-12", "W-13"), ("NOTE 7", "NOTE 7")]


@pytest.fixture(scope="module")
def drawn_pair(tmp_path_factory):
    d = tmp_path_factory.mktemp("drawn-text")
    src = JP_HOUSE / "floor-plans.pdf"
    places = blank_places(src, len(DRAWN) + 1, seed=1)
    boxes = []
    for side, name in enumerate(("old", "new")):
        pdf = pdfium.PdfDocument(str(src))
        boxes = [drawn_text(pdf, 0, texts[side], at, 7.0) for texts, at in zip(DRAWN, places)]
        if side:  # and a small box drawn on the new sheet, with no text
            x, y = places[-1]
            page = pdf[0]
            stroke_box(page, (x, y - 15, x + 30, y + 5), width_pt=0.5)
            pdfium_c.FPDFPage_GenerateContent(page.raw)
            page.close()
        pdf.save(str(d / f"{name}.pdf"))
        pdf.close()
    with open_set(d / "old.pdf") as so, open_set(d / "new.pdf") as sn:
        po, pn = so.page(0), sn.page(0)
        assert pn.words() and not any(w.text in ("3,460", "W-13") for w in pn.words())
        r = compare_pair(po, pn, identify_page(po), identify_page(pn), str(d), "p",
                         PairOptions(dpi=150, tiles=False))
    return r, boxes, places[-1]


def _on(c, box, pad=3.0):
    b = c["bbox"]
    return b[0] < box[2] + pad and box[0] - pad < b[2] and b[1] < box[3] + pad \
        and box[1] - pad < b[3]


def test_a_dimension_drawn_in_strokes_is_read_with_its_before_and_after(drawn_pair):
    r, boxes, _ = drawn_pair
    swapped = [c for c in r["changes"] if _on(c, boxes[0])]
    # two digits traded places: a changed dimension, not a glyph moved
    assert [(c["kind"], c["text_before"], c["text_after"]) for c in swapped] == [
        ("modified", "3,640", "3,460")]
    retyped = [c for c in r["changes"] if _on(c, boxes[1])]
    assert len(retyped) == 1 and retyped[0]["kind"] == "modified"
    assert retyped[0]["text_before"].endswith("12") and retyped[0]["text_after"].endswith("13")


def test_unchanged_drawn_text_and_a_graphic_edit_get_no_text(drawn_pair):
    r, boxes, (x, y) = drawn_pair
    assert not [c for c in r["changes"] if _on(c, boxes[2])]  # "NOTE 7" on both
    added = [c for c in r["changes"] if _on(c, (x, y - 15, x + 30, y + 5))]
    assert [c["kind"] for c in added] == ["added"]
    assert added[0].get("text_before") is None and added[0].get("text_after") is None


def test_a_lone_letter_read_in_strokes_on_one_side_is_no_text():
    """A window's sash marks moved in CAD were read as an added "D" (bench seed 10083567,
    bldg04's floor plan), and a small square as "口": one side, one character. A changed
    digit (one character each side) and a stroked note added are kept."""
    box = (10.0, 10.0, 20.0, 16.0)
    assert not _read_enough(TextChange("added", box, None, "D"))
    assert not _read_enough(TextChange("removed", box, " 口 ", None))
    assert _read_enough(TextChange("changed", box, "3", "8"))
    assert _read_enough(TextChange("added", box, None, "W-13"))


@pytest.mark.parametrize("read, form", [
    ("22'- 7\"", "22'-7\""),  # a space read after the dash
    ("5' - 10\" TYP", "5'-10\" TYP"),
    ("23'-10'", "23'-10\""),  # a stroked inch mark read as a foot mark
    ("12'-6 1/2'", "12'-6 1/2\""),
    ("W-12", "W-12"), ("3,640", "3,640"), ("NOTE 1'-", "NOTE 1'-"), (None, None)])
def test_ocr_readings_of_dimensions_are_put_in_the_drawings_form(read, form):
    """On the drawn-text bench (seeds 11157854, 10083567, 2243309, 4108493) 3 of 12
    changed dimensions were inexact only so: 7 exact before, 10 after."""
    assert _dimension_form(read) == form
