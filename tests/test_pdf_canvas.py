"""PdfCanvas (pdf_canvas.py): report.pdf's pages drawn as PDF objects, addressed in pixels
of a 150 DPI layout."""

import numpy as np
import pypdfium2 as pdfium
from PIL import Image

from buildtrace.engine.pdf_canvas import LAYOUT_DPI, PdfCanvas, settable


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


def test_a_line_helvetica_cannot_set_is_drawn_as_an_image(tmp_path):
    """A Japanese title (Helvetica holds Windows-1252 only) still appears, drawn by Pillow
    in an image in its place; the rest of the page stays text."""
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
