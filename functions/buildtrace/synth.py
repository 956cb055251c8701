"""Make drawing sets and revisions with known edits, from real sheets, for tests and demos.

Not part of the comparison engine: this writes PDFs (with PDFium's editing API) so that the
truth of every edit is known. Boxes are in PDF points of the page, origin top-left, y down,
as everywhere in BuildTrace; pages are 0-based.
"""

from __future__ import annotations

import ctypes
import os
from typing import Sequence

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c


def merge_pdfs(paths: Sequence[str | os.PathLike], out: str | os.PathLike) -> str:
    """Concatenate the pages of ``paths`` into one PDF at ``out``."""
    dest = pdfium.PdfDocument.new()
    for p in paths:
        src = pdfium.PdfDocument(os.fspath(p))
        dest.import_pages(src)
        src.close()
    dest.save(os.fspath(out))
    dest.close()
    return os.fspath(out)


def _user_rect(page, box):
    """Top-left-origin box (pt) of an unrotated page -> (x, y, w, h) in PDF user space."""
    left, bottom, _right, top = page.get_cropbox()
    x0, y0, x1, y1 = box
    return left + x0, top - y1, x1 - x0, y1 - y0


def cover_box(pdf: pdfium.PdfDocument, page_index: int, box, *, remove_text: bool = True
              ) -> None:
    """Paint ``box`` white on page ``page_index`` and drop the text objects under it (so the
    text layer agrees with what is printed). Only for pages without /Rotate."""
    page = pdf[page_index]
    if page.get_rotation() != 0:
        raise ValueError("cover_box handles unrotated pages only")
    x, y, w, h = _user_rect(page, box)
    if remove_text:
        for obj in list(page.get_objects(max_depth=1)):
            if obj.type != pdfium_c.FPDF_PAGEOBJ_TEXT:
                continue
            l, b, r, t = obj.get_bounds()
            if l < x + w and r > x and b < y + h and t > y:
                page.remove_obj(obj)
    rect = pdfium_c.FPDFPageObj_CreateNewRect(x, y, w, h)
    pdfium_c.FPDFPageObj_SetFillColor(rect, 255, 255, 255, 255)
    pdfium_c.FPDFPath_SetDrawMode(rect, pdfium_c.FPDF_FILLMODE_ALTERNATE, 0)
    pdfium_c.FPDFPage_InsertObject(page.raw, rect)
    pdfium_c.FPDFPage_GenerateContent(page.raw)
    page.close()


def write_text(pdf: pdfium.PdfDocument, page_index: int, text: str, at, size_pt: float,
               *, font: str = "Helvetica") -> None:
    """Write ``text`` with its baseline-left corner at ``at`` (x, y in points, top-left
    origin) in a standard font, as real text (it lands in the text layer too)."""
    page = pdf[page_index]
    left, _bottom, _right, top = page.get_cropbox()
    obj = pdfium_c.FPDFPageObj_NewTextObj(pdf.raw, font.encode(), ctypes.c_float(size_pt))
    wide = (text + "\0").encode("utf-16-le")
    buf = ctypes.create_string_buffer(wide)
    pdfium_c.FPDFText_SetText(obj, ctypes.cast(buf, ctypes.POINTER(pdfium_c.FPDF_WCHAR)))
    pdfium_c.FPDFPageObj_Transform(obj, 1, 0, 0, 1, left + at[0], top - at[1])
    pdfium_c.FPDFPage_InsertObject(page.raw, obj)
    pdfium_c.FPDFPage_GenerateContent(page.raw)
    page.close()


def renumber(src: str | os.PathLike, page_index: int, number_box, new_number: str,
             out: str | os.PathLike) -> str:
    """Copy ``src`` to ``out`` with the sheet number in ``number_box`` (points, top-left)
    replaced by ``new_number``, printed and in the text layer."""
    pdf = pdfium.PdfDocument(os.fspath(src))
    x0, y0, x1, y1 = number_box
    pad = 2.0
    cover_box(pdf, page_index, (x0 - pad, y0 - pad, x1 + pad, y1 + pad))
    size = (y1 - y0) * 1.1
    write_text(pdf, page_index, new_number, (x0, y1 - 0.1 * size), size)
    pdf.save(os.fspath(out))
    pdf.close()
    return os.fspath(out)
