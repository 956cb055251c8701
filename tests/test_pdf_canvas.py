"""PdfCanvas (pdf_canvas.py): report.pdf's pages drawn as PDF objects, addressed in pixels
of a 150 DPI layout."""

import numpy as np
import pypdfium2 as pdfium
from PIL import Image

from buildtrace.engine.pdf_canvas import (FALLBACK_FONTS, LAYOUT_DPI, EmbeddedFonts,
                                          PdfCanvas, settable)


def _render(path, index=0):
    """Page ``index`` of ``path`` rendered at the layout's resolution (one pixel a layout
    pixel), grayscale."""
    pdf = pdfium.PdfDocument(str(path))
    return np.asarray(pdf[index].render(scale=LAYOUT_DPI / 72, grayscale=True).to_pil())


def test_text_is_text_where_the_layout_puts_it(tmp_path):
    doc = pdfium.PdfDocument.new()
    c = PdfCanvas(doc, (600, 400))
    c.text((50, 100), "M101  c3 modified \"31'-6\" -> \"8'-8\"", font=20)
    width = c.textlength("M101", 20)
    c.finish()
    doc.save(str(tmp_path / "t.pdf"))
    pdf = pdfium.PdfDocument(str(tmp_path / "t.pdf"))
    assert pdf[0].get_size() == (600 * 72 / LAYOUT_DPI, 400 * 72 / LAYOUT_DPI)
    text = pdf[0].get_textpage().get_text_range()
    assert "M101" in text and "31'-6" in text and "8'-8" in text  # searchable, exact
    img = _render(tmp_path / "t.pdf")
    ys, xs = np.nonzero(img < 128)
    # the line's ink starts at the layout's x and lies within the font size below its y
    assert abs(xs.min() - 50) <= 3 and 100 <= ys.min() and ys.max() <= 100 + 22
    # "M101" at 20 px is about two and a half sizes wide, as Helvetica sets it; a space
    # counts (text is placed run after run by these widths)
    assert 40 < width < 60
    assert c.textlength("M101  ", 20) - width > 8


def test_a_line_helvetica_cannot_set_is_drawn_as_an_image_without_embedded_fonts(tmp_path):
    """Without fonts to embed, a Japanese title (Helvetica holds Windows-1252 only) still
    appears, drawn by Pillow in an image in its place; the rest of the page stays text."""
    title = "1階平面図,2階平面図"
    assert not settable(title) and settable("M101 — 31'-6\"")
    doc = pdfium.PdfDocument.new()
    c = PdfCanvas(doc, (600, 400))
    c.text((40, 30), "M101", font=20)
    c.text((40, 200), "A-2  " + title, font=20)
    c.finish()
    doc.save(str(tmp_path / "j.pdf"))
    pdf = pdfium.PdfDocument(str(tmp_path / "j.pdf"))
    kinds = [o.type for o in pdf[0].get_objects()]
    text, image = pdfium.raw.FPDF_PAGEOBJ_TEXT, pdfium.raw.FPDF_PAGEOBJ_IMAGE
    # "M101"; then the title's line run by run: "A-2  1", "階平面図", ",2", "階平面図"
    assert kinds == [text, text, image, text, image]
    words = pdf[0].get_textpage().get_text_range()
    assert "M101" in words and "A-2 1" in words and ",2" in words  # (spaces collapse)
    img = _render(tmp_path / "j.pdf")
    ink = np.nonzero((img[195:235] < 128).any(axis=0))[0]
    gap = np.diff(ink).max()  # between "A-2" and "1": the two spaces, not an overlap
    assert 8 <= gap <= 20
    assert ink.max() > 150  # the title's glyphs follow


def test_characters_helvetica_lacks_are_text_in_an_embedded_subset_font(tmp_path):
    """A Japanese title and an arrow are set in the fonts `make setup` unpacks into the
    package, embedded as subsets: text a reader searches and copies, in its place; a
    character no font has is drawn as an image, and nothing else is lost."""
    assert any(p.endswith(".ttf") and __import__("os").path.exists(p) for p in FALLBACK_FONTS)
    title, renumbered, nowhere = "1階平面図,2階平面図", "A101 → A102", "\U0010fffd"
    doc = pdfium.PdfDocument.new()
    fonts = EmbeddedFonts(doc, ["M101", title, renumbered, "x" + nowhere])
    assert set(fonts.characters) == set("階平面図→")  # the unset character has no font
    c = PdfCanvas(doc, (600, 400), fonts)
    c.text((40, 30), "A-2  " + title, font=20)
    c.text((40, 200), renumbered, font=20)
    c.text((40, 300), "x" + nowhere + "y", font=20)
    widths = [c.textlength(t, 20) for t in ("A-2  " + title, renumbered)]
    c.finish()
    doc.save(str(tmp_path / "e.pdf"))
    fonts.close()
    assert (tmp_path / "e.pdf").stat().st_size < 40_000  # subsets, not 4 MB fonts
    pdf = pdfium.PdfDocument(str(tmp_path / "e.pdf"))
    kinds = [o.type for o in pdf[0].get_objects()]
    text, image = pdfium.raw.FPDF_PAGEOBJ_TEXT, pdfium.raw.FPDF_PAGEOBJ_IMAGE
    # the title and the arrow's line run by run, all text; then "x", the image, "y"
    assert kinds == [text] * 7 + [text, image, text]
    words = pdf[0].get_textpage().get_text_range().replace("\r\n", "\n").split("\n")
    assert words[0] == "A-2 1階平面図,2階平面図" and words[1] == renumbered
    img = _render(tmp_path / "e.pdf")
    for y, width in zip((30, 200), widths):
        cols = np.nonzero((img[y:y + 24] < 160).any(axis=0))[0]
        # the line's ink starts at the layout's x and ends where its width says
        assert abs(cols.min() - 40) <= 3 and abs(cols.max() - (40 + width)) <= 4
    # the kanji are drawn (dense glyphs, 0.31 of the run inked): not empty boxes (0.16)
    kanji = img[30:54, 40 + int(c.textlength("A-2  1", 20)):40 + int(widths[0])]
    assert (kanji < 160).mean() > 0.25


def test_report_pdf_fonts_ship_inside_the_package_the_cloud_deploys():
    """The cloud functions are deployed from ``functions/`` (their image has no fonts): the
    fonts report.pdf sets kanji and arrows in are the ones `make setup` unpacked there, with
    their notices, and come before any the machine has."""
    import os

    from buildtrace.engine.pdf_canvas import PACKAGE_FONTS, _character_map

    functions_dir = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + "/functions"
    assert os.path.commonpath([PACKAGE_FONTS, functions_dir]) == functions_dir
    for font, notice in (("ipag.ttf", "IPAGothic.copyright"), ("ipam.ttf", "IPAMincho.copyright"),
                         ("DroidSansFallbackFull.ttf", "DroidSansFallback.copyright"),
                         ("DejaVuSans.ttf", "DejaVuSans.copyright")):
        assert os.path.getsize(os.path.join(PACKAGE_FONTS, font)) > 100_000
        assert "License" in open(os.path.join(PACKAGE_FONTS, notice)).read()
    for ch in "階→":
        first = next(p for p in FALLBACK_FONTS if p.endswith(".ttf") and os.path.exists(p)
                     and ord(ch) in _character_map(p))
        assert os.path.dirname(first) == PACKAGE_FONTS, (ch, first)


def test_boxes_and_images_land_where_the_layout_puts_them(tmp_path):
    doc = pdfium.PdfDocument.new()
    c = PdfCanvas(doc, (600, 400))
    c.rectangle((100, 50, 300, 150), outline=(0, 0, 0), width=4)
    dark = Image.new("RGB", (50, 20), (0, 0, 0))
    c.paste(dark, (400, 300), (100, 40))  # placed at twice its pixels
    c.finish()
    doc.save(str(tmp_path / "b.pdf"))
    img = _render(tmp_path / "b.pdf")
    assert img[100, 100] < 128 and img[100, 300] < 128 and img[50, 200] < 128  # the edges
    assert img[100, 200] > 200  # an outline, not filled
    assert (img[302:338, 402:498] < 64).all() and img[350, 450] > 200 and img[320, 510] > 200


def test_a_generated_scan_keeps_a_japanese_text_layer():
    """The revision generator's scans carry their words as an OCR layer would, in any
    script: a Japanese word is set in a glyphless font and reads back as itself, in its
    place (in Helvetica it read back as "ÿÿÿ", and a sheet's title and text changes with
    it)."""
    from buildtrace.engine.drawing_set import open_set
    from buildtrace.synth import _read_back, _reads_back
    from conftest import JP_HOUSE

    with open_set(JP_HOUSE / "floor-plans.pdf") as s:
        words, size = s.page(0).words(), s.page(0).size_pt
    japanese = [w for w in words if not settable(w.text)]
    assert len(japanese) > 100
    back = _read_back(words, size)
    assert all(_reads_back(w, back) for w in japanese)
    assert not any("ÿ" in w.text for w in back)
