"""Make drawing sets and revisions with known edits, from real sheets, for tests and demos.

Not part of the comparison engine: this writes PDFs (with PDFium's editing API) so that the
truth of every edit is known. Boxes are in PDF points of the page, origin top-left, y down,
as everywhere in BuildTrace; pages are 0-based.
"""

from __future__ import annotations

import ctypes
import functools
import math
import os
import pathlib
from dataclasses import replace
from typing import Sequence

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from .engine.pdf_canvas import (GLYPHLESS_ADVANCE, glyphless_font, load_font,
                                 set_text, settable, text_object)


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


def stroke_box(page, box, *, rgb: tuple[int, int, int] = (0, 0, 0), width_pt: float = 1.5
               ) -> None:
    """Add a rectangle stroked ``width_pt`` wide in colour ``rgb`` around ``box`` (points,
    top-left origin) to an unrotated pypdfium2 page; the caller generates the content."""
    rect = pdfium_c.FPDFPageObj_CreateNewRect(*_user_rect(page, box))
    pdfium_c.FPDFPageObj_SetStrokeColor(rect, *rgb, 255)
    pdfium_c.FPDFPageObj_SetStrokeWidth(rect, ctypes.c_float(width_pt))
    pdfium_c.FPDFPath_SetDrawMode(rect, 0, 1)
    pdfium_c.FPDFPage_InsertObject(page.raw, rect)


def cloud_arcs(box, arc_pt: float = 18.0, *, bulge: float = 0.3, inverted: bool = False,
               rng=None) -> list[tuple]:
    """A revision cloud around ``box`` (points, top-left origin) as CAD's REVCLOUD draws it:
    the box's outline cut into chords of about ``arc_pt`` (each 0.7-1.3 times that with
    ``rng``, a numpy Generator), each bowed outward (``inverted``: inward) into an arc whose
    height is ``bulge`` times its chord. Returns cubic Béziers ((x0, y0), (x1, y1), (x2,
    y2), (x3, y3)) in points, in order around the box."""
    import numpy as np

    x0, y0, x1, y1 = box
    corners = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
    centre = np.array([(x0 + x1) / 2, (y0 + y1) / 2])
    points = []
    for a, b in zip(corners, corners[1:] + corners[:1]):
        a, b = np.array(a, float), np.array(b, float)
        side = float(np.hypot(*(b - a)))
        cuts, t = [0.0], 0.0
        while True:
            t += arc_pt * (rng.uniform(0.7, 1.3) if rng is not None else 1.0)
            if t >= side - 0.5 * arc_pt:
                break
            cuts.append(t)
        points += [a + (b - a) * c / side for c in cuts]
    arcs = []
    for p, q in zip(points, points[1:] + points[:1]):
        mid, d = (p + q) / 2, q - p
        normal = np.array([d[1], -d[0]]) / max(1e-9, float(np.hypot(*d)))
        if np.dot(normal, mid - centre) < 0:
            normal = -normal  # outward
        if inverted:
            normal = -normal
        top = mid + normal * 2 * bulge * float(np.hypot(*d))  # a quadratic's control point
        c1, c2 = p + (top - p) * 2 / 3, q + (top - q) * 2 / 3  # ... as a cubic's
        arcs.append((tuple(p), tuple(c1), tuple(c2), tuple(q)))
    return arcs


def _bezier_points(arc, n: int = 16):
    """``n`` + 1 points along a cubic Bézier (four points)."""
    import numpy as np

    p0, p1, p2, p3 = (np.array(v, float) for v in arc)
    t = np.linspace(0, 1, n + 1)[:, None]
    return ((1 - t) ** 3 * p0 + 3 * (1 - t) ** 2 * t * p1 + 3 * (1 - t) * t ** 2 * p2
            + t ** 3 * p3)


def draw_cloud(raster, arcs, dpi: float, width_pt: float = 1.0) -> None:
    """Draw a cloud (:func:`cloud_arcs`, points) into a uint8 grayscale ``raster`` at
    ``dpi``, black, anti-aliased."""
    import cv2
    import numpy as np

    k = dpi / 72.0
    line = np.vstack([_bezier_points(a)[:-1] for a in arcs]) * k
    cv2.polylines(raster, [np.round(line * 16).astype(np.int32)], True, 0,
                  max(1, int(round(width_pt * k))), cv2.LINE_AA, shift=4)


def tag_triangle(cloud_box, side_pt: float, corner: int, offset: float) -> list[tuple]:
    """A revision tag (a "delta": a triangle, apex up, with the revision's number in it) at
    a corner of a cloud's box (points, top-left origin): ``corner`` 0-3 (top-left,
    top-right, bottom-right, bottom-left), its centre ``offset`` times ``side_pt`` out from
    the corner along the diagonal (0: on the cloud). Returns its three corners (points)."""
    import numpy as np

    x0, y0, x1, y1 = cloud_box
    cx, cy = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)][corner]
    sx, sy = (-1 if corner in (0, 3) else 1), (-1 if corner in (0, 1) else 1)
    cx, cy = cx + sx * offset * side_pt / np.sqrt(2), cy + sy * offset * side_pt / np.sqrt(2)
    r = side_pt / np.sqrt(3)  # centre to corner
    return [(cx + r * np.cos(a), cy - r * np.sin(a)) for a in np.radians([90, 210, 330])]


def triangle_box(triangle) -> tuple[float, float, float, float]:
    """The box (x0, y0, x1, y1) of a triangle's three corners (points)."""
    xs, ys = [p[0] for p in triangle], [p[1] for p in triangle]
    return (min(xs), min(ys), max(xs), max(ys))


def _tag_label_at(triangle, label: str, size_pt: float) -> tuple[float, float]:
    """Where a tag's label begins (baseline-left, points): centred in the triangle's lower
    part, about 0.55 ``size_pt`` a character wide."""
    x0, y0, x1, y1 = triangle_box(triangle)
    return (x0 + x1) / 2 - 0.28 * size_pt * len(label), y1 - 0.22 * (y1 - y0)


def draw_tag(raster, triangle, label: str, dpi: float, width_pt: float = 1.0
             ) -> tuple[float, float, float, float]:
    """Draw a revision tag (:func:`tag_triangle`, points) and its ``label`` into a uint8
    grayscale ``raster`` at ``dpi``, black, anti-aliased; returns the label's box (points,
    top-left origin), for a text layer."""
    import cv2
    import numpy as np

    k = dpi / 72.0
    pts = np.round(np.array(triangle) * k * 16).astype(np.int32)
    cv2.polylines(raster, [pts], True, 0, max(1, int(round(width_pt * k))), cv2.LINE_AA,
                  shift=4)
    side = float(np.hypot(*np.subtract(triangle[1], triangle[2])))
    size = 0.36 * side  # the label's height, points
    scale = cv2.getFontScaleFromHeight(cv2.FONT_HERSHEY_SIMPLEX, max(1, int(size * k)))
    (tw, th), _ = cv2.getTextSize(label, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
    x0, y0, x1, y1 = triangle_box(triangle)
    x, base = (x0 + x1) / 2 - tw / k / 2, y1 - 0.2 * (y1 - y0)
    cv2.putText(raster, label, (int(x * k), int(base * k)), cv2.FONT_HERSHEY_SIMPLEX, scale, 0,
                max(1, int(size * k / 10)), cv2.LINE_AA)
    return (x, base - th / k, x + tw / k, base + 1)


def stroke_tag(pdf: pdfium.PdfDocument, page_index: int, triangle, label: str, *,
               width_pt: float = 1.0) -> tuple[float, float, float, float]:
    """Add a revision tag (:func:`tag_triangle`, points) to page ``page_index`` of an
    unrotated ``pdf``: the triangle as a stroked path and ``label`` as real text (it lands
    in the text layer). Returns the label's box (points, top-left origin)."""
    import numpy as np

    page = pdf[page_index]
    left, _bottom, _right, top = page.get_cropbox()
    path = pdfium_c.FPDFPageObj_CreateNewPath(ctypes.c_float(left + triangle[0][0]),
                                              ctypes.c_float(top - triangle[0][1]))
    for p in triangle[1:]:
        pdfium_c.FPDFPath_LineTo(path, ctypes.c_float(left + p[0]), ctypes.c_float(top - p[1]))
    pdfium_c.FPDFPath_Close(path)
    pdfium_c.FPDFPageObj_SetStrokeColor(path, 0, 0, 0, 255)
    pdfium_c.FPDFPageObj_SetStrokeWidth(path, ctypes.c_float(width_pt))
    pdfium_c.FPDFPath_SetDrawMode(path, 0, 1)
    pdfium_c.FPDFPage_InsertObject(page.raw, path)
    pdfium_c.FPDFPage_GenerateContent(page.raw)
    page.close()
    side = float(np.hypot(*np.subtract(triangle[1], triangle[2])))
    size = 0.45 * side
    return write_text(pdf, page_index, label, _tag_label_at(triangle, label, size), size)


def stroke_cloud(page, arcs, *, rgb: tuple[int, int, int] = (0, 0, 0),
                 width_pt: float = 1.0) -> None:
    """Add a cloud (:func:`cloud_arcs`, points, top-left origin) to an unrotated pypdfium2
    page as one stroked path of Béziers; the caller generates the content."""
    left, _bottom, _right, top = page.get_cropbox()

    def user(p):
        return ctypes.c_float(left + p[0]), ctypes.c_float(top - p[1])

    path = pdfium_c.FPDFPageObj_CreateNewPath(*user(arcs[0][0]))
    for _p0, c1, c2, p3 in arcs:
        pdfium_c.FPDFPath_BezierTo(path, *user(c1), *user(c2), *user(p3))
    pdfium_c.FPDFPath_Close(path)
    pdfium_c.FPDFPageObj_SetStrokeColor(path, *rgb, 255)
    pdfium_c.FPDFPageObj_SetStrokeWidth(path, ctypes.c_float(width_pt))
    pdfium_c.FPDFPath_SetDrawMode(path, 0, 1)
    pdfium_c.FPDFPage_InsertObject(page.raw, path)


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
               *, font: str = "Helvetica", rgb: tuple[int, int, int] = (0, 0, 0)
               ) -> tuple[float, float, float, float]:
    """Write ``text`` with its baseline-left corner at ``at`` (x, y in points, top-left
    origin) in a standard font and colour ``rgb``, as real text (it lands in the text layer
    too). Returns the text's box (points, top-left origin)."""
    page = pdf[page_index]
    left, _bottom, _right, top = page.get_cropbox()
    obj = text_object(pdf, text, size_pt, font)
    pdfium_c.FPDFPageObj_Transform(obj, 1, 0, 0, 1, left + at[0], top - at[1])
    pdfium_c.FPDFPageObj_SetFillColor(obj, *rgb, 255)
    pdfium_c.FPDFPage_InsertObject(page.raw, obj)
    bounds = [ctypes.c_float() for _ in range(4)]
    pdfium_c.FPDFPageObj_GetBounds(obj, *bounds)
    pdfium_c.FPDFPage_GenerateContent(page.raw)
    page.close()
    x0, b, x1, t = (v.value for v in bounds)
    return x0 - left, top - t, x1 - left, top - b


#: Hershey's Roman Simplex (`make setup` unpacks it from Debian's hershey-fonts-data, with
#: its notice): single-stroke glyphs, the design AutoCAD's romans.shx follows.
HERSHEY_FONT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fonts", "rowmans.jhf")
#: A Hershey glyph's cap height in its own units (from "F" at -12 to the baseline at 9).
HERSHEY_CAP = 21.0


@functools.lru_cache(maxsize=1)
def _hershey_glyphs() -> dict[str, tuple[float, list[list[tuple[float, float]]]]]:
    """The Roman Simplex glyphs of " " to "~": per character its advance and its strokes,
    in the font's units from the glyph's left edge and the baseline (y down)."""
    glyphs = {}
    with open(HERSHEY_FONT, encoding="ascii") as fh:
        lines = [ln.rstrip("\n") for ln in fh if ln.strip()]
    for code, line in zip(range(32, 127), lines):
        left, right = ord(line[8]) - 82, ord(line[9]) - 82
        strokes: list[list[tuple[float, float]]] = [[]]
        body = line[10:]
        for i in range(0, len(body) - 1, 2):
            pair = body[i:i + 2]
            if pair == " R":
                strokes.append([])
            else:
                strokes[-1].append((ord(pair[0]) - 82 - left, ord(pair[1]) - 82 - 9))
        glyphs[chr(code)] = (right - left, [st for st in strokes if len(st) > 1])
    return glyphs


def drawn_text(pdf: pdfium.PdfDocument, page_index: int, text: str, at, height_pt: float,
               *, width_pt: float = 0.35, rgb: tuple[int, int, int] = (0, 0, 0)
               ) -> tuple[float, float, float, float]:
    """Draw ``text`` as CAD plots an SHX font: lines ``width_pt`` wide (Hershey's Roman
    Simplex, :data:`HERSHEY_FONT`), capitals ``height_pt`` tall, baseline-left corner at
    ``at`` (points, top-left origin); nothing of it in the text layer. Returns its box
    (points, top-left origin)."""
    glyphs = _hershey_glyphs()
    page = pdf[page_index]
    left, _bottom, _right, top = page.get_cropbox()
    k = height_pt / HERSHEY_CAP
    x, box = at[0], [math.inf, math.inf, -math.inf, -math.inf]
    for ch in text:
        advance, strokes = glyphs.get(ch, glyphs["?"])
        for stroke in strokes:
            pts = [(x + gx * k, at[1] + gy * k) for gx, gy in stroke]
            path = pdfium_c.FPDFPageObj_CreateNewPath(left + pts[0][0], top - pts[0][1])
            for px, py in pts[1:]:
                pdfium_c.FPDFPath_LineTo(path, left + px, top - py)
            pdfium_c.FPDFPageObj_SetStrokeColor(path, *rgb, 255)
            pdfium_c.FPDFPageObj_SetStrokeWidth(path, ctypes.c_float(width_pt))
            pdfium_c.FPDFPath_SetDrawMode(path, 0, 1)
            pdfium_c.FPDFPage_InsertObject(page.raw, path)
            xs, ys = [p[0] for p in pts], [p[1] for p in pts]
            box = [min(box[0], *xs), min(box[1], *ys), max(box[2], *xs), max(box[3], *ys)]
        x += advance * k
    pdfium_c.FPDFPage_GenerateContent(page.raw)
    page.close()
    return tuple(box)


def blank_places(path: str | os.PathLike, n: int, seed: int, size=(100.0, 20.0)
                 ) -> list[tuple[float, float]]:
    """``n`` places on page 0 of ``path`` (baseline-left corners, points, top-left origin)
    with nothing drawn from 8 pt left of them to ``size[0]`` right and from ``size[1]``
    above to 10 pt below, apart from each other: where a line of text can be drawn."""
    import numpy as np

    pdf = pdfium.PdfDocument(os.fspath(path))
    ink = pdf[0].render(scale=50 / 72, grayscale=True).to_numpy()
    ink = (ink if ink.ndim == 2 else ink[:, :, 0]) < 200
    w, h = pdf[0].get_size()
    pdf.close()
    rng, places = np.random.default_rng(seed), []
    for _ in range(100_000):
        if len(places) == n:
            break
        x, y = rng.uniform(40, w - size[0] - 40), rng.uniform(40, h - 60)
        c0, r0, c1, r1 = (int(v * 50 / 72) for v in (x - 8, y - size[1], x + size[0], y + 10))
        if not ink[r0:r1, c0:c1].any() and all(abs(x - px) > size[0] + 10 or abs(y - py) > 30
                                               for px, py in places):
            places.append((x, y))
    return places


def drawn_dimensions(src: str | os.PathLike, out_dir: str | os.PathLike, seed: int,
                     n: int = 4, height_pt: float = 7.0) -> dict:
    """A vector sheet revised where its text is drawn in strokes, as CAD plots SHX text:
    ``n`` feet-and-inches dimensions drawn with :func:`drawn_text` at blank places of
    ``src``, the last unchanged and each other with one digit changed in the revision.
    Returns ``old`` and ``new`` (paths) and ``edits`` (kind ``text``, ``bbox`` in the new
    sheet's points, ``text_before``, ``text_after``)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    os.makedirs(out_dir, exist_ok=True)
    texts = []
    for i in range(n):
        before = f"{rng.integers(1, 40)}'-{rng.integers(0, 12)}\""
        digits = [j for j, ch in enumerate(before) if ch.isdigit()]
        j = int(rng.choice(digits))
        after = before[:j] + str((int(before[j]) + int(rng.integers(1, 10))) % 10) + before[j + 1:]
        texts.append((before, after if i < n - 1 else before))
    places = blank_places(src, n, seed)
    edits = []
    paths = {}
    for side, name in enumerate(("old", "new")):
        pdf = pdfium.PdfDocument(os.fspath(src))
        for (before, after), at in zip(texts, places):
            box = drawn_text(pdf, 0, (before, after)[side], at, height_pt)
            if side and before != after:
                edits.append({"kind": "text", "bbox": box, "text_before": before,
                              "text_after": after})
        paths[name] = os.path.join(os.fspath(out_dir), f"{name}.pdf")
        pdf.save(paths[name])
        pdf.close()
    return {**paths, "edits": edits, "matrix": [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]],
            "stretch": None}


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


# -- revisions with known edits ------------------------------------------------------------
#: Resolution of the rasters the revision generator works on (a typical scan).
SYNTH_DPI = 200.0


def _add_text_layer(pdf, page, words, h_pt: float) -> None:
    """``words`` (points, top-left origin) as invisible text runs, one per word: in
    Helvetica, or a word Helvetica cannot set (Japanese) in a glyphless font, as an OCR
    layer holds any script."""
    other = "".join(sorted({ch for w in words if not settable(w.text) for ch in w.text + " "}))
    font = load_font(pdf, glyphless_font(other)) if other else None
    for w in words:
        x0, y0, x1, y1 = w.bbox
        across = w.turns % 2 == 0  # reads across the page (left to right, or upside down)
        size = max(1.0, ((y1 - y0) if across else (x1 - x0)) * 0.9)
        if settable(w.text):
            obj = text_object(pdf, w.text, size)
            left, bottom, right, top = (ctypes.c_float() for _ in range(4))
            pdfium_c.FPDFPageObj_GetBounds(obj, left, bottom, right, top)
            natural = max(0.1, right.value - left.value)
        else:  # (its glyphs are empty: its width is their advances)
            obj = pdfium_c.FPDFPageObj_CreateTextObj(pdf.raw, font, ctypes.c_float(size))
            set_text(obj, w.text)
            natural = GLYPHLESS_ADVANCE * size * len(w.text)
        pdfium_c.FPDFTextObj_SetTextRenderMode(obj, pdfium_c.FPDF_TEXTRENDERMODE_INVISIBLE)
        # stretch the run to the word's length, like OCR text layers do
        sx = max(0.05, ((x1 - x0) if across else (y1 - y0)) / natural)
        # a trailing space, as OCR layers write, so a reader never joins two runs into one
        # word however close they sit ("RELi" + "EF" of an OCR layer stay two words)
        set_text(obj, w.text + " ")
        # turned text (a vertical dimension) turned as it reads: the run's start, and its
        # direction and its glyphs' up in user space (y up)
        d = 0.15 * size
        e, f, (a, b, c, dd) = {
            0: (x0, h_pt - y1 + d, (sx, 0, 0, 1)), 1: (x1 - d, h_pt - y1, (0, sx, -1, 0)),
            2: (x1, h_pt - y0 - d, (-sx, 0, 0, -1)), 3: (x0 + d, h_pt - y0, (0, -sx, 1, 0)),
        }[w.turns % 4]
        pdfium_c.FPDFPageObj_Transform(obj, a, b, c, dd, e, f)
        pdfium_c.FPDFPage_InsertObject(page.raw, obj)
    if font is not None:
        pdfium_c.FPDFFont_Close(font)  # (the text objects keep it)


def _upright(word) -> bool:
    """Does ``word`` read left to right (its text layer says so: ``Word.turns``)?"""
    return word.turns == 0


def raster_pdf(raster, words, page_pt, out: str | os.PathLike, *, quality: int = 92) -> str:
    """A one-page PDF like a scanner with OCR makes: the raster as a JPEG image filling the
    page and ``words`` (``Word``s, points, top-left origin) as invisible text on top."""
    import tempfile

    import cv2

    w_pt, h_pt = page_pt
    pdf = pdfium.PdfDocument.new()
    page = pdf.new_page(w_pt, h_pt)
    with tempfile.NamedTemporaryFile(suffix=".jpg", delete=False) as tmp:
        cv2.imwrite(tmp.name, raster, [cv2.IMWRITE_JPEG_QUALITY, quality])
        image = pdfium.PdfImage.new(pdf)
        image.load_jpeg(tmp.name, inline=True)
    os.unlink(tmp.name)
    image.set_matrix(pdfium.PdfMatrix().scale(w_pt, h_pt))
    page.insert_obj(image)
    _add_text_layer(pdf, page, words, h_pt)
    page.gen_content()
    page.close()
    pdf.save(os.fspath(out))
    pdf.close()
    return os.fspath(out)


def _reads_back(word, as_written) -> bool:
    """Is ``word`` read from the written text layer as itself (same text, same place)? The
    truth of a text edit must be what the old sheet shows: a source's OCR layer can hold
    runs a reader joins or splits differently ("RELi" + "EF" read as "RELiEF")."""
    tol = max(2.0, 0.3 * word.height)
    return any(o.text == word.text and max(abs(a - b) for a, b in zip(o.bbox, word.bbox)) < tol
               for o in as_written)


def _read_back(words, page_pt) -> list:
    """``words`` as a reader sees them once :func:`raster_pdf` has written them."""
    import tempfile

    from .engine.drawing_set import open_set

    pdf = pdfium.PdfDocument.new()
    page = pdf.new_page(*page_pt)
    _add_text_layer(pdf, page, words, page_pt[1])
    page.gen_content()
    page.close()
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "words.pdf")
        pdf.save(path)
        pdf.close()
        with open_set(path) as s:
            return s.page(0).words()


def make_revision(src: str | os.PathLike, out_dir: str | os.PathLike, seed: int, *,
                  kinds: Sequence[str] = ("erase", "add", "move", "text"), n_edits: int = 6,
                  rescan: bool = True, renumber_to: str | None = None,
                  text_layer: bool = True, harsh: bool = False,
                  stretch_pt: float | None = None, clouds: int = 0, tags: bool = False,
                  view_pt: float | None = None) -> dict:
    """Make ``old.pdf`` and ``new.pdf`` from page 0 of ``src`` with known edits.

    Edits (chosen and placed at random from ``seed``, in the drawing area, never in the
    title-block zones: the bottom-right corner, the bottom band, the right strip): ``erase`` whites out a box of drawing; ``add`` draws a
    new detail (a tagged box with leaders); ``move`` shifts a detail by 1-3 in; ``nudge``
    shifts one by 3-12 pt (a wall moved a few inches: its red and green touch); ``text``
    rewrites a word of the text layer (printed and in the text layer); ``note`` adds a new
    one-line note. Kinds the comparison's rules were not written for, to test it on:
    ``flip`` mirrors a detail in place (a door's swing flipped), ``turn`` turns one a
    quarter, ``scale`` draws one 15-30 % larger about its centre (all three ``modified``),
    ``thicken`` draws a box's lines 1-2 pt heavier each side (``modified``), ``hatch`` draws
    a 45° hatch over a part of the drawing and ``copy`` copies a detail 1-3 in away (both
    ``added``; each of these edits also says its kind as ``edit``). ``rescan`` applies a
    global rotation (±1°), scale (±1.5 %) and shift (±20 pt) with noise, as a re-scan does.
    ``renumber_to`` reprints the sheet number (found by sheet identification) as that.
    ``text_layer=False`` writes both PDFs without text, like a scan without OCR. ``harsh``:
    the re-scan also stretches, blurs and re-tones the sheet and is saved as a coarser JPEG
    (another scanner, a worn original; see :func:`_rescan`), the stretch up to
    ``stretch_pt`` (default :data:`HARSH_STRETCH_PT`). ``clouds``: the new sheet draws a
    revision cloud (:func:`cloud_arcs`, 1 pt) around each of its first ``clouds`` edits
    (8-12 pt off the edit, at least 40 pt across), and the old sheet as many clouds of
    the last revision around unedited detail, which the new one drops. ``tags``: each cloud
    has a revision tag too (a numbered triangle, see :func:`_draw_clouds`). ``view_pt``:
    before the edits, a large part of the drawing (35-50 % of the sheet wide, 40-60 % high)
    moves as a whole, 3 pt to ``view_pt`` (a view placed elsewhere on the sheet; its words
    move with it in the text layer); the edits after it may land in it. Its truth is a
    ``moved`` edit with ``"view": True``.

    Returns the truth: ``edits`` with kind, ``bbox`` in new-sheet points (``from_bbox`` for
    moves, ``copied_from`` for copies, ``text_before``/``text_after`` for text), ``clouds``
    (kind ``added`` or ``removed``, ``bbox`` in new-sheet points to the arcs' crests, and
    for an added one the index of the ``edit`` it marks), ``matrix`` (old points → new points, the
    affine part) and ``stretch`` (the harsh re-scan's stretch beyond it, see :func:`_rescan`;
    None without).
    """
    import cv2
    import numpy as np

    from .engine.drawing_set import Word, open_set

    rng = np.random.default_rng(seed)
    out_dir = os.fspath(out_dir)
    os.makedirs(out_dir, exist_ok=True)
    with open_set(src) as s:
        page = s.page(0)
        w_pt, h_pt = page.size_pt
        raster = page.render(dpi=SYNTH_DPI)
        words = page.words()
        as_written = _read_back(words, page.size_pt)
        number_box = None
        if renumber_to:
            from .engine.identify import identify_page

            number_box = identify_page(page).number_bbox
    k = SYNTH_DPI / 72.0
    old_raster = raster.copy()
    new = raster.copy()
    new_words = list(words)
    busy: list[tuple[float, float, float, float]] = []
    edits = []

    def free(box):
        x0, y0, x1, y1 = box
        if x0 < 36 or y0 < 36 or x1 > w_pt - 36 or y1 > h_pt - 36:
            return False
        if (x1 > 0.5 * w_pt and y1 > 0.7 * h_pt) or y1 > 0.82 * h_pt or x1 > 0.88 * w_pt:
            return False  # title blocks: the corner, a bottom band (revision table), a strip
        return not any(x0 < b[2] + 18 and b[0] < x1 + 18 and y0 < b[3] + 18 and b[1] < y1 + 18
                       for b in busy)

    def px(box):
        return tuple(int(round(v * k)) for v in box)

    def ink(box):
        x0, y0, x1, y1 = px(box)
        return float((new[y0:y1, x0:x1] < 128).mean()) if x1 > x0 and y1 > y0 else 0.0

    def random_box(wmin, wmax, need_ink, tries=400):
        for _ in range(tries):
            bw, bh = rng.uniform(wmin, wmax), rng.uniform(wmin, wmax)
            x0, y0 = rng.uniform(36, w_pt - 36 - bw), rng.uniform(36, h_pt - 36 - bh)
            box = (x0, y0, x0 + bw, y0 + bh)
            if not free(box):
                continue
            d = ink(box)
            if (need_ink and d > 0.02) or (not need_ink and d < 0.002):
                return box
        return None

    def tight(box):
        """The ink's own box inside ``box`` (what a comparison can see)."""
        x0, y0, x1, y1 = px(box)
        ys, xs = np.nonzero(old_raster[y0:y1, x0:x1] < 128)
        if ys.size == 0:
            return box
        return ((x0 + xs.min()) / k, (y0 + ys.min()) / k, (x0 + xs.max() + 1) / k,
                (y0 + ys.max() + 1) / k)

    def move_ink(box, dx, dy):
        """Cut the drawing in ``box`` (points) and lay it down ``dx``, ``dy`` points away
        (over what is there); the edit's truth."""
        sx0, sy0, sx1, sy1 = px(box)
        patch = new[sy0:sy1, sx0:sx1].copy()
        new[sy0:sy1, sx0:sx1] = 255
        dx0, dy0 = px((box[0] + dx, box[1] + dy))[:2]
        region = new[dy0:dy0 + patch.shape[0], dx0:dx0 + patch.shape[1]]
        np.minimum(region, patch[:region.shape[0], :region.shape[1]], out=region)
        t = tight(box)
        return {"kind": "moved", "from_bbox": t,
                "bbox": (t[0] + dx, t[1] + dy, t[2] + dx, t[3] + dy)}

    import re

    if number_box is not None:
        x0, y0, x1, y1 = px((number_box[0] - 2, number_box[1] - 2, number_box[2] + 2,
                             number_box[3] + 2))
        new[y0:y1, x0:x1] = 255
        hpx = int((number_box[3] - number_box[1]) * k)
        scale = cv2.getFontScaleFromHeight(cv2.FONT_HERSHEY_SIMPLEX, int(hpx * 0.8), 2)
        cv2.putText(new, renumber_to, (int(number_box[0] * k), int(number_box[3] * k) - 2),
                    cv2.FONT_HERSHEY_SIMPLEX, scale, 0, max(2, hpx // 10), cv2.LINE_AA)
        new_words = [w for w in new_words if not _box_inside(w.bbox, (x0 / k, y0 / k, x1 / k,
                                                                      y1 / k))]
        new_words.append(Word(renumber_to, tuple(number_box)))
    view = _move_view(view_pt, rng, w_pt, h_pt, free, ink) if view_pt else None
    if view is not None:
        box, dx, dy = view
        edits.append({**move_ink(box, dx, dy), "view": True})
        # its words move with it; no word of its two places is re-lettered
        new_words = [replace(w, bbox=(w.bbox[0] + dx, w.bbox[1] + dy, w.bbox[2] + dx,
                                   w.bbox[3] + dy))
                     if _box_inside(w.bbox, box) else w for w in new_words]
        view = (box, (box[0] + dx, box[1] + dy, box[2] + dx, box[3] + dy))
    # (words that read left to right: an edit letters its new text so)
    text_cands = [w for w in words if re.fullmatch(r"[A-Za-z0-9'\"./-]{3,}", w.text)
                  and _upright(w) and sum(c.isalnum() for c in w.text) >= 3 and free(w.bbox)
                  and w.height > 5
                  and _reads_back(w, as_written)
                  and not (view and any(_overlap(w.bbox, b) for b in view))]
    rng.shuffle(text_cands)
    plan = [kinds[i % len(kinds)] for i in range(n_edits)]
    for kind in plan:
        if kind == "erase":
            box = random_box(36, 100, True)
            if box is None:
                continue
            truth = tight(box)
            x0, y0, x1, y1 = px(box)
            new[y0:y1, x0:x1] = 255
            new_words = [w for w in new_words if not _box_inside(w.bbox, box)]
            busy.append(box)
            edits.append({"kind": "removed", "bbox": truth})
        elif kind == "add":
            box = random_box(50, 110, False)
            if box is None:
                continue
            x0, y0, x1, y1 = px(box)
            t = max(2, int(0.8 * k))
            cv2.rectangle(new, (x0 + 4 * t, y0 + 4 * t), (x1 - 4 * t, y1 - 4 * t), 0, t)
            cv2.line(new, (x0 + 4 * t, y1 - 4 * t), (x1 - 4 * t, y0 + 4 * t), 0, t)
            cv2.circle(new, ((x0 + x1) // 2, (y0 + y1) // 2), max(3, (x1 - x0) // 6), 0, t)
            busy.append(box)
            edits.append({"kind": "added", "bbox": box})
        elif kind == "move":
            box = random_box(40, 90, True)
            if box is None:
                continue
            for _ in range(200):
                dx, dy = rng.uniform(-216, 216), rng.uniform(-216, 216)
                if abs(dx) < 72 and abs(dy) < 72:
                    continue
                dest = (box[0] + dx, box[1] + dy, box[2] + dx, box[3] + dy)
                if free(dest) and ink(dest) < 0.002:
                    break
            else:
                continue
            busy.extend([box, dest])
            edits.append(move_ink(box, dx, dy))
        elif kind == "nudge":
            box = random_box(40, 90, True)
            if box is None:
                continue
            angle, dist = rng.uniform(0, 2 * np.pi), rng.uniform(3, 12)
            dx, dy = dist * np.cos(angle), dist * np.sin(angle)
            dest = (box[0] + dx, box[1] + dy, box[2] + dx, box[3] + dy)
            both = (min(box[0], dest[0]), min(box[1], dest[1]), max(box[2], dest[2]),
                    max(box[3], dest[3]))
            if not free(both):
                continue
            busy.append(both)
            edits.append({**move_ink(box, dx, dy), "short": True})
        elif kind == "text":
            while text_cands and not free(text_cands[-1].bbox):
                text_cands.pop()
            if not text_cands:
                continue
            w = text_cands.pop()
            after = _rewrite(w.text, rng)
            x0, y0, x1, y1 = px((w.bbox[0] - 1, w.bbox[1] - 1, w.bbox[2] + 1, w.bbox[3] + 1))
            new[y0:y1, x0:x1] = 255
            hpx = max(6, y1 - y0 - 2)
            scale = cv2.getFontScaleFromHeight(cv2.FONT_HERSHEY_SIMPLEX, int(hpx * 0.8), 1)
            (tw, th), _ = cv2.getTextSize(after, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
            cv2.putText(new, after, (x0 + 1, y1 - 2), cv2.FONT_HERSHEY_SIMPLEX, scale, 0,
                        max(1, int(hpx / 10)), cv2.LINE_AA)
            nb = (w.bbox[0], w.bbox[1], w.bbox[0] + (tw + 2) / k, w.bbox[3])
            new_words = [nw for nw in new_words if nw is not w]
            new_words.append(Word(after, nb))
            busy.append((w.bbox[0], w.bbox[1], max(w.bbox[2], nb[2]), w.bbox[3]))
            edits.append({"kind": "text", "bbox": (min(w.bbox[0], nb[0]), w.bbox[1],
                                                   max(w.bbox[2], nb[2]), w.bbox[3]),
                          "text_before": w.text, "text_after": after})
        elif kind == "note":
            note = f"NOTE {int(rng.integers(2, 40))}: VERIFY IN FIELD"
            box = random_box(150, 170, False)
            if box is None:
                continue
            size_pt = 9.0
            x0, y0 = box[0], box[1] + size_pt
            scale = cv2.getFontScaleFromHeight(cv2.FONT_HERSHEY_SIMPLEX, int(size_pt * k * 0.8), 1)
            (tw, _th), _ = cv2.getTextSize(note, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
            cv2.putText(new, note, (int(x0 * k), int(y0 * k)), cv2.FONT_HERSHEY_SIMPLEX, scale, 0,
                        max(1, int(size_pt * k / 10)), cv2.LINE_AA)
            nb = (x0, y0 - size_pt, x0 + tw / k, y0 + 1)
            # the text layer holds the note word by word, as OCR would
            parts, cx = note.split(), x0
            per = (nb[2] - nb[0]) / len(note)
            for part in parts:
                start = note.index(part, int(round((cx - x0) / per)) if per else 0)
                new_words.append(Word(part, (x0 + start * per, nb[1], x0 + (start + len(part)) * per,
                                             nb[3])))
                cx = x0 + (start + len(part)) * per
            busy.append(nb)
            edits.append({"kind": "text", "bbox": nb, "text_before": None, "text_after": note})
        elif kind in ("flip", "turn", "scale"):
            # a detail redrawn in place: mirrored (a door's swing flipped), turned a quarter
            # (a fixture turned) or drawn 15-30 % larger about its centre
            box = random_box(40, 90, True)
            if box is None:
                continue
            x0, y0, x1, y1 = px(box)
            if kind == "turn":  # a square, so the turned detail keeps its place
                y1 = y0 + (x1 - x0)
                box = (box[0], box[1], box[2], y1 / k)
                if not free(box) or ink(box) < 0.02:
                    continue
            patch = new[y0:y1, x0:x1].copy()
            redrawn = _redrawn(patch, kind, rng)
            was, now = patch < 128, redrawn < 128
            if (was != now).sum() < 0.3 * max(1, was.sum()):
                continue  # symmetric: redrawn, it looks the same
            new[y0:y1, x0:x1] = redrawn
            new_words = [w for w in new_words if not _box_inside(w.bbox, box)]
            busy.append(box)
            edits.append({"kind": "modified", "bbox": _ink_bbox(was | now, x0, y0, k),
                          "edit": kind})
        elif kind == "thicken":
            # lines drawn heavier (a wall made thicker): 1-2 pt more ink each side, in a box
            box = random_box(40, 90, True)
            if box is None:
                continue
            x0, y0, x1, y1 = px(box)
            r = int(round(rng.uniform(1.0, 2.0) * k))
            patch = new[y0:y1, x0:x1]
            heavier = cv2.erode(patch, cv2.getStructuringElement(cv2.MORPH_ELLIPSE,
                                                                 (2 * r + 1, 2 * r + 1)))
            grown = (heavier < 128) & (patch >= 128)
            new[y0:y1, x0:x1] = heavier
            busy.append(box)
            edits.append({"kind": "modified", "bbox": _ink_bbox(grown, x0, y0, k),
                          "edit": kind})
        elif kind == "hatch":
            # a hatch drawn over a part of the drawing (a room's floor finish): lines at 45°,
            # 5-9 pt apart, 0.7 pt wide
            box = random_box(50, 110, True)
            if box is None:
                continue
            x0, y0, x1, y1 = px(box)
            lines = np.full((y1 - y0, x1 - x0), 255, np.uint8)
            step, w = max(3, int(rng.uniform(5, 9) * k)), max(1, int(round(0.7 * k)))
            for c in range(-lines.shape[0], lines.shape[1], step):
                cv2.line(lines, (c, lines.shape[0]), (c + lines.shape[0], 0), 0, w)
            region = new[y0:y1, x0:x1]
            np.minimum(region, lines, out=region)
            busy.append(box)
            edits.append({"kind": "added", "bbox": box, "edit": kind})
        elif kind == "copy":
            # a detail copied elsewhere (a second fixture like the first): added, not moved
            box = random_box(40, 90, True)
            if box is None:
                continue
            for _ in range(200):
                dx, dy = rng.uniform(-216, 216), rng.uniform(-216, 216)
                dest = (box[0] + dx, box[1] + dy, box[2] + dx, box[3] + dy)
                if (abs(dx) >= 72 or abs(dy) >= 72) and free(dest) and ink(dest) < 0.002:
                    break
            else:
                continue
            sx0, sy0, sx1, sy1 = px(box)
            patch = new[sy0:sy1, sx0:sx1].copy()
            dx0, dy0 = px(dest)[:2]
            region = new[dy0:dy0 + patch.shape[0], dx0:dx0 + patch.shape[1]]
            np.minimum(region, patch[:region.shape[0], :region.shape[1]], out=region)
            t = tight(box)
            busy.extend([box, dest])
            edits.append({"kind": "added", "bbox": (t[0] + dx, t[1] + dy, t[2] + dx, t[3] + dy),
                          "copied_from": t, "edit": kind})
    drawn_clouds = []
    if clouds:
        drawn_clouds = _draw_clouds(old_raster, new, edits, clouds, random_box, busy, rng, k,
                                    (words, new_words) if tags else None)
    matrix = np.array([[1.0, 0, 0], [0, 1.0, 0]])
    stretch = None
    if rescan:
        new, matrix, stretch = _rescan(new, rng, (w_pt, h_pt), harsh=harsh, stretch_pt=stretch_pt)
        new_words = [_map_word(w, matrix) for w in new_words]
        for e in edits + drawn_clouds:
            for key in ("bbox", "from_bbox", "copied_from", "tag"):
                if key in e:
                    e[key] = _map_box(e[key], matrix)
    if not text_layer:
        words, new_words = [], []
    old_pdf = raster_pdf(old_raster, words, (w_pt, h_pt), os.path.join(out_dir, "old.pdf"))
    new_pdf = raster_pdf(new, new_words, (w_pt, h_pt), os.path.join(out_dir, "new.pdf"),
                         quality=75 if harsh else 92)
    return {"old": old_pdf, "new": new_pdf, "edits": edits, "clouds": drawn_clouds,
            "matrix": matrix.tolist(),
            "stretch": stretch, "seed": seed, "source": os.fspath(src)}


def _move_view(view_pt: float, rng, w_pt: float, h_pt: float, free, ink):
    """(:func:`make_revision`) A large part of the drawing to move as a whole (a view
    placed elsewhere on the sheet): a box 35-50 % of the sheet wide and 40-60 % high, away
    from the title block (``free``), with ink (``ink``: its share), and the shift (points),
    3 pt to ``view_pt`` in any direction; (box, dx, dy), or None."""
    import numpy as np

    for _ in range(400):
        vw, vh = rng.uniform(0.35, 0.5) * w_pt, rng.uniform(0.4, 0.6) * h_pt
        x0, y0 = rng.uniform(36, w_pt - 36 - vw), rng.uniform(36, h_pt - 36 - vh)
        angle, dist = rng.uniform(0, 2 * np.pi), rng.uniform(3, view_pt)
        dx, dy = dist * np.cos(angle), dist * np.sin(angle)
        box = (x0, y0, x0 + vw, y0 + vh)
        if free(box) and free((x0 + dx, y0 + dy, x0 + vw + dx, y0 + vh + dy)) and ink(box) > 0.02:
            return box, float(dx), float(dy)
    return None


def _overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _redrawn(patch, kind: str, rng):
    """(:func:`make_revision`) A detail's raster ``patch`` mirrored (``flip``), turned a
    quarter (``turn``, a square patch) or drawn 15-30 % larger about its centre (``scale``,
    cut to the patch), on white."""
    import cv2
    import numpy as np

    if kind == "flip":
        return np.ascontiguousarray(patch[:, ::-1] if rng.random() < 0.5 else patch[::-1, :])
    if kind == "turn":
        return np.ascontiguousarray(np.rot90(patch, 1 if rng.random() < 0.5 else -1))
    f = rng.uniform(1.15, 1.3)
    h, w = patch.shape
    m = np.array([[f, 0, (1 - f) * w / 2], [0, f, (1 - f) * h / 2]])
    return cv2.warpAffine(patch, m, (w, h), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=255)


def _ink_bbox(mask, x0: int, y0: int, k: float) -> tuple[float, float, float, float]:
    """(:func:`make_revision`) The box in points of the true pixels of ``mask``, a raster
    at ``k`` px per point whose pixel (0, 0) is pixel (``x0``, ``y0``) of the sheet."""
    import numpy as np

    ys, xs = np.nonzero(mask)
    return ((x0 + xs.min()) / k, (y0 + ys.min()) / k, (x0 + xs.max() + 1) / k,
            (y0 + ys.max() + 1) / k)


def _draw_clouds(old_raster, new_raster, edits: list, n: int, random_box, busy: list, rng,
                 k: float, tag_words: tuple[list, list] | None = None) -> list[dict]:
    """(:func:`make_revision`) Revision clouds around the first ``n`` ``edits`` on the new
    raster, and ``n`` clouds of the last revision around unedited detail (``random_box``)
    on the old one, at ``k`` px per point; their truth, in the rasters' points.

    ``tag_words`` (the old and new sheets' words): each cloud also gets a revision tag
    (:func:`tag_triangle`, 16-26 pt, on the cloud or just off it), "2" on the new sheet
    and "1" on the old, its label added to the sheet's words; an old tag stays on the new
    sheet half the time (the practice of keeping the deltas when the clouds go). The
    truth's ``tag`` is the triangle's box (points) and ``tag_kept`` says which old ones
    stayed."""
    import numpy as np

    def around(box, margin):
        x0, y0, x1, y1 = (box[0] - margin, box[1] - margin, box[2] + margin, box[3] + margin)
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        hw, hh = max(20.0, (x1 - x0) / 2), max(20.0, (y1 - y0) / 2)  # 40 pt across at least
        return (cx - hw, cy - hh, cx + hw, cy + hh)

    def draw(raster, box):
        arcs = cloud_arcs(box, rng.uniform(10, 18), bulge=rng.uniform(0.2, 0.35), rng=rng)
        draw_cloud(raster, arcs, k * 72.0, 1.0)
        line = np.vstack([_bezier_points(a) for a in arcs])
        return tuple(float(v) for v in (*line.min(axis=0), *line.max(axis=0)))

    def tag(cloud, label, rasters, word_lists):
        triangle = tag_triangle(cloud["bbox"], rng.uniform(16, 26), int(rng.integers(4)),
                                float(rng.choice([0.0, 0.55])))
        for raster, words in zip(rasters, word_lists):
            words.append(Word(label, draw_tag(raster, triangle, label, k * 72.0)))
        cloud["tag"] = triangle_box(triangle)
        busy.append(cloud["tag"])

    from .engine.drawing_set import Word

    out = []
    for i, e in enumerate(edits[:n]):
        out.append({"kind": "added", "edit": i,
                    "bbox": draw(new_raster, around(e["bbox"], rng.uniform(8, 12)))})
        if tag_words:
            tag(out[-1], "2", [new_raster], [tag_words[1]])
    for _ in range(n):
        box = random_box(40, 100, True)
        if box is None:
            continue
        busy.append(around(box, 20))
        out.append({"kind": "removed", "bbox": draw(old_raster, around(box, 10))})
        if tag_words:
            out[-1]["tag_kept"] = bool(rng.random() < 0.5)
            both = out[-1]["tag_kept"]
            tag(out[-1], "1", [old_raster, new_raster] if both else [old_raster],
                tag_words if both else [tag_words[0]])
    return out


def _rescan(raster, rng, page_pt, *, harsh: bool = False, stretch_pt: float | None = None):
    """``raster`` (at :data:`SYNTH_DPI`) as a re-scan makes it: a global rotation (±1°),
    scale (±1.5 %) and shift (±20 pt) about the sheet's centre, then noise (σ 10 grey
    levels). ``harsh`` adds what another scanner or a worn original adds: a smooth
    non-affine stretch of the paper (up to ``stretch_pt``, default
    :data:`HARSH_STRETCH_PT`, off the affine transform), optical blur, and a tone curve that
    thickens or thins every stroke.

    Returns (raster, matrix: old points → new points, the affine part, stretch): ``stretch``
    is None, or ``{"amp_pt", "phase": [px, py], "period_pt": [wx, wy]}``: a point the
    matrix takes to p (new-sheet points) lies at p + d(p), d(p) = -amp (sin(2π p_y / wy +
    px), sin(2π p_x / wx + py)) (see :func:`stretched`)."""
    import cv2
    import numpy as np

    w_pt, h_pt = page_pt
    k = SYNTH_DPI / 72.0
    deg = rng.uniform(-1, 1)
    scale = 1 + rng.uniform(-0.015, 0.015)
    shift = rng.uniform(-20, 20, 2)
    matrix = cv2.getRotationMatrix2D((w_pt / 2, h_pt / 2), deg, scale)
    matrix[:, 2] += shift
    m_px = (np.diag([k, k, 1]) @ np.vstack([matrix, [0, 0, 1]]) @ np.diag([1 / k, 1 / k, 1]))[:2]
    out = cv2.warpAffine(raster, m_px, (raster.shape[1], raster.shape[0]), flags=cv2.INTER_AREA,
                         borderValue=255)
    stretch = None
    if harsh:
        h, w = out.shape
        # a smooth stretch: one wave across the sheet each way, random phases
        px, py = rng.uniform(0, 2 * np.pi, 2)
        amp_pt = HARSH_STRETCH_PT if stretch_pt is None else stretch_pt
        amp = amp_pt * k
        stretch = {"amp_pt": float(amp_pt), "phase": [float(px), float(py)],
                   "period_pt": [w / k, h / k]}
        ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
        map_x = xs + amp * np.sin(2 * np.pi * ys / h + px).astype(np.float32)
        map_y = ys + amp * np.sin(2 * np.pi * xs / w + py).astype(np.float32)
        out = cv2.remap(out, map_x, map_y, cv2.INTER_LINEAR, borderValue=255)
        del ys, xs, map_x, map_y
        out = cv2.GaussianBlur(out, (0, 0), rng.uniform(0.4, 0.8))
        gamma = rng.choice([0.75, 1.35])  # < 1 darkens the grey edges: strokes thicken
        lut = (255 * (np.arange(256) / 255) ** gamma).astype(np.uint8)
        out = cv2.LUT(out, lut)
    noise = rng.normal(0, 10, out.shape)
    return np.clip(out.astype(np.float32) + noise, 0, 255).astype(np.uint8), matrix, stretch


def stretched(points, matrix, stretch: dict | None):
    """Old-sheet points (n×2) carried to the new sheet by ``matrix`` and ``stretch`` as
    :func:`_rescan` describes them (``stretch`` in the form it returns, or in a report's
    ``alignment.stretch``; None: the matrix alone). The stretch depends on where a point
    lands, so it is found by fixed-point iteration (it moves a point by a few points at
    most and varies over inches: a few rounds converge)."""
    import numpy as np

    q = np.asarray(points, float).reshape(-1, 2)
    m = np.asarray(matrix, float)
    base = q @ m[:, :2].T + m[:, 2]
    if not stretch:
        return base
    if "amp_pt" in stretch:
        amp, (px, py), (wx, wy) = stretch["amp_pt"], stretch["phase"], stretch["period_pt"]

        def d(p):
            return -amp * np.stack([np.sin(2 * np.pi * p[:, 1] / wy + px),
                                    np.sin(2 * np.pi * p[:, 0] / wx + py)], axis=1)
    else:
        from .engine.stretch import StretchField

        d = StretchField.from_dict(stretch).shifts_at
    p = base
    for _ in range(8):
        p = base + d(p)
    return p


#: The harsh re-scan's paper stretch: at most this far (points) from the affine transform.
HARSH_STRETCH_PT = 0.3


def make_example_pair(sheets_dir: str | os.PathLike, out_dir: str | os.PathLike
                      ) -> tuple[pathlib.Path, pathlib.Path]:
    """The example pair of sets from the Transatomic sheets in ``sheets_dir`` (see
    examples/make_revision.py): ``out_dir``/rev-A.pdf (every sheet but M112) and rev-B.pdf
    (reordered, M251 withdrawn, M112 added, M205 renumbered M206, M101, M108 and M201
    re-scanned with drawing edits listed in ``out_dir``/edits.json). Returns both paths."""
    import json
    import random

    sheets, out = pathlib.Path(sheets_dir), pathlib.Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = sorted(sheets.glob("*.pdf"))
    edited = {}
    for i, stem in enumerate(("M101", "M108", "M201")):
        edited[stem] = make_revision(sheets / f"{stem}.pdf", out / f"edit-{stem}", seed=100 + i,
                                     kinds=("erase", "add", "move", "text", "note"), n_edits=5)
    # M205 is re-scanned and renumbered M206: a renumbered sheet, paired by its title
    edited["M205"] = make_revision(sheets / "M205.pdf", out / "edit-M205", seed=99, n_edits=0,
                                   renumber_to="M206")
    (out / "edits.json").write_text(json.dumps(
        {k: {"edits": v["edits"], "matrix": v["matrix"]} for k, v in edited.items()}, indent=1))

    def version(f: pathlib.Path, side: str) -> pathlib.Path:
        return pathlib.Path(edited[f.stem][side]) if f.stem in edited else f

    rev_a = [version(f, "old") for f in files if f.stem != "M112"]
    rev_b = [version(f, "new") for f in files if f.stem != "M251"]
    random.Random(2026).shuffle(rev_b)
    merge_pdfs(rev_a, out / "rev-A.pdf")
    merge_pdfs(rev_b, out / "rev-B.pdf")
    for stem, truth in edited.items():
        for side in ("old", "new"):
            pathlib.Path(truth[side]).unlink()
        (out / f"edit-{stem}").rmdir()
    return out / "rev-A.pdf", out / "rev-B.pdf"


def _box_inside(a, b) -> bool:
    return b[0] <= a[0] and b[1] <= a[1] and a[2] <= b[2] and a[3] <= b[3]


def _map_box(box, m):
    import numpy as np

    x0, y0, x1, y1 = box
    p = np.array([[x0, y0, 1], [x1, y0, 1], [x0, y1, 1], [x1, y1, 1]], float) @ np.asarray(m).T
    return (float(p[:, 0].min()), float(p[:, 1].min()), float(p[:, 0].max()), float(p[:, 1].max()))


def _map_word(w, m):
    return replace(w, bbox=_map_box(w.bbox, m))


def _rewrite(text: str, rng) -> str:
    """A plausible revision of a word: digits changed (a dimension, a tag), else letters."""
    chars = list(text)
    digits = [i for i, c in enumerate(chars) if c.isdigit()]
    if digits:
        for i in rng.choice(digits, size=min(2, len(digits)), replace=False):
            chars[i] = str((int(chars[i]) + int(rng.integers(1, 9))) % 10)
    else:
        letters = [i for i, c in enumerate(chars) if c.isalpha()]
        for i in rng.choice(letters, size=min(2, len(letters)), replace=False):
            chars[i] = "XQZ"[int(rng.integers(0, 3))] if chars[i] not in "XQZ" else "K"
    out = "".join(chars)
    return out if out != text else out + "1"


#: Letters OCR confuses, each way (a misreading changes one of these in a word).
_OCR_CONFUSIONS = {"I": "1", "1": "l", "l": "I", "O": "0", "0": "O", "S": "5", "5": "S",
                   "B": "8", "8": "B", "Z": "2", "2": "Z", "G": "6", "6": "G", "E": "F"}


def reread_text_layer(src: str | os.PathLike, out: str | os.PathLike, seed: int, *,
                      share: float = 0.3) -> dict:
    """Page 0 of the scan ``src`` again, its image unchanged, with the text layer another
    OCR run might have written: ``share`` of its words misread (a confused letter, as I/1,
    O/0, S/5), missed, or split in two. Two scans of a set are read by OCR apart, and their
    layers differ where nothing printed did.

    Returns ``{"path", "words", "misread": [(bbox, text_before, text_after or None)]}`` with
    boxes in points of the page (top-left origin)."""
    import numpy as np

    from .engine.drawing_set import Word, open_set

    rng = np.random.default_rng(seed)
    with open_set(src) as s:
        page = s.page(0)
        dpi = page.scan_dpi() or 200.0
        raster = page.render(dpi=dpi, as_ink=False)
        words, page_pt = page.words(), page.size_pt
    reread, misread = [], []
    for w in words:
        if rng.random() >= share:
            reread.append(w)
            continue
        how = rng.choice(["confuse", "miss", "split"])
        confusable = [i for i, c in enumerate(w.text) if c in _OCR_CONFUSIONS]
        if how == "confuse" and confusable:
            i = int(rng.choice(confusable))
            text = w.text[:i] + _OCR_CONFUSIONS[w.text[i]] + w.text[i + 1:]
            reread.append(replace(w, text=text))
            misread.append((w.bbox, w.text, text))
        elif how == "split" and len(w.text) >= 4:
            k = len(w.text) // 2
            x0, y0, x1, y1 = w.bbox
            xm = x0 + (x1 - x0) * k / len(w.text)
            reread += [Word(w.text[:k], (x0, y0, xm, y1)), Word(w.text[k:], (xm, y0, x1, y1))]
            misread.append((w.bbox, w.text, f"{w.text[:k]} {w.text[k:]}"))
        else:
            misread.append((w.bbox, w.text, None))
    raster_pdf(raster, reread, page_pt, out)
    return {"path": os.fspath(out), "words": len(words), "misread": misread}


def score_pair(result: dict, truth: dict, page_pt, *, pad_pt: float = 6.0,
               ink_box=None) -> dict:
    """How a compared pair (an entry of report.json) did against :func:`make_revision`'s
    truth: ``recall`` (share of edits with a reported change on them; a move counts when
    both places are covered or it is reported as moved), ``precision`` (share of reported
    changed-ink area lying on an edit), ``alignment_error_pt`` (largest error over the sheet),
    ``text_recall`` (share of text edits reported with their exact before and after);
    with ``ink_box`` (old-sheet points, which the matrices map: where the sheet has ink) also
    ``alignment_error_ink_pt``, the largest error inside it (at a blank sheet edge nothing
    fixes the mapping, and nothing there is compared)."""
    import numpy as np

    def grow(b):
        return (b[0] - pad_pt, b[1] - pad_pt, b[2] + pad_pt, b[3] + pad_pt)

    def hit(a, b):
        return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]

    changes = result.get("changes", [])
    truth_boxes = []
    found = 0
    for e in truth["edits"]:
        places = [e["bbox"]] + ([e["from_bbox"]] if "from_bbox" in e else [])
        truth_boxes += [grow(b) for b in places]
        if e["kind"] == "moved":
            ok = any(c["kind"] == "moved" and hit(c["bbox"], grow(e["bbox"])) for c in changes) \
                or all(any(hit(c["bbox"], grow(b)) for c in changes) for b in places)
        else:
            ok = any(hit(c["bbox"], grow(e["bbox"])) for c in changes)
        found += ok
    total_area = sum(c["area_pt2"] for c in changes)
    on_edits = sum(c["area_pt2"] for c in changes
                   if any(hit(c["bbox"], t) for t in truth_boxes)
                   or (c.get("from_bbox") and any(hit(c["from_bbox"], t) for t in truth_boxes)))
    text_edits = [e for e in truth["edits"] if e["kind"] == "text"]
    reported = {(t.get("text_before"), t.get("text_after"))
                for c in changes for t in c.get("text_changes", [])}
    text_found = sum((e["text_before"], e["text_after"]) in reported for e in text_edits)
    alignment = result.get("alignment")
    err = err_ink = None
    if alignment:
        # both mappings whole: the matrix and, where there is one, the paper's stretch
        def error(x0, y0, x1, y1):  # over a 9×9 grid of old-sheet points
            grid = np.array([[x, y] for x in np.linspace(x0, x1, 9) for y in np.linspace(y0, y1, 9)])
            ours = stretched(grid, alignment["matrix"], alignment.get("stretch"))
            return float(np.abs(ours - stretched(grid, truth["matrix"], truth.get("stretch"))).max())

        err = error(0, 0, *page_pt)
        err_ink = error(*ink_box) if ink_box is not None else None
    n = len(truth["edits"])
    return {"edits": n, "found": found, "recall": found / n if n else 1.0,
            "precision": on_edits / total_area if total_area else 1.0,
            "alignment_error_pt": err, "alignment_error_ink_pt": err_ink,
            "text_edits": len(text_edits), "text_found": text_found,
            "text_recall": text_found / len(text_edits) if text_edits else 1.0,
            "reported": len(changes)}


def drawn_alignment_error(alignment: dict, truth: dict, old_ink, dpi: float,
                          page_pt) -> float:
    """The largest error (points) of an alignment (a report's ``alignment``: matrix and
    stretch) against the truth's, counted as an overlay would draw it: at each pixel of
    the old sheet's ink (``old_ink``: a raster at ``dpi``, 0 ink, 255 paper), in the
    directions that ink shows (across a line, every way at a dot or a corner), where the
    truth puts it on the new sheet (``page_pt``: its width and height, points).

    :func:`score_pair`'s ``alignment_error_pt`` counts every direction everywhere; a
    harsh re-scan's stretch in a blank margin, or along the sheet's border line, cannot be
    measured from the sheets and is not drawn either, and this leaves it out."""
    import cv2
    import numpy as np

    ink = cv2.subtract(255, old_ink).astype(np.float32)
    gx = cv2.Sobel(ink, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(ink, cv2.CV_32F, 0, 1, ksize=3)
    sigma = 2.0 / 72 * dpi  # the directions ink shows, over about 2 pt around a point
    a, b, c = (cv2.GaussianBlur(v, (0, 0), sigma) for v in (gx * gx, gx * gy, gy * gy))
    ys, xs = np.nonzero(old_ink < 160)
    if not len(xs):
        return 0.0
    if len(xs) > 40000:  # evenly thinned: the error varies over inches
        keep = np.linspace(0, len(xs) - 1, 40000).astype(int)
        ys, xs = ys[keep], xs[keep]
    t = np.stack([np.stack([a[ys, xs], b[ys, xs]], -1), np.stack([b[ys, xs], c[ys, xs]], -1)],
                 -2).astype(float)
    top = np.linalg.eigvalsh(t)[:, 1]
    t = t / np.maximum(top, 1e-9)[:, None, None]
    q = (np.stack([xs, ys], axis=1) + 0.5) * 72 / dpi
    want = stretched(q, truth["matrix"], truth.get("stretch"))
    got = stretched(q, alignment["matrix"], alignment.get("stretch"))
    w_pt, h_pt = page_pt
    on_page = ((want[:, 0] >= 0) & (want[:, 0] <= w_pt) & (want[:, 1] >= 0)
               & (want[:, 1] <= h_pt) & (top > 0))
    e = got - want
    seen = np.sqrt(np.maximum(0.0, np.einsum("ni,nij,nj->n", e, t, e)))[on_page]
    return float(seen.max()) if len(seen) else 0.0


def enlarge_vector_sheet(src: str | os.PathLike, out: str | os.PathLike,
                         size_in: tuple[float, float] = (48.0, 36.0)) -> str:
    """Place page 0 of a vector PDF, scaled to fit, on a larger sheet (default ARCH E,
    48×36 in), keeping it vector (a form XObject): a large CAD sheet for benchmarks."""
    W, H = size_in[0] * 72, size_in[1] * 72

    def fitted(w, h):
        s = min(W / w, H / h)
        return pdfium.PdfMatrix().scale(s, s).translate((W - w * s) / 2, (H - h * s) / 2)

    return _placed_copy(src, out, fitted, (W, H))


def tiled_vector_sheet(src: str | os.PathLike, out: str | os.PathLike,
                       grid: tuple[int, int] = (4, 4),
                       size_in: tuple[float, float] = (48.0, 36.0),
                       shift_pt: tuple[float, float] = (0.0, 0.0)) -> str:
    """Place page 0 of a vector PDF ``grid`` (columns, rows) times, each scaled to fit its
    cell, on one large sheet (default ARCH E), still vector (form XObjects): a dense CAD
    sheet for benchmarks, with ``columns × rows`` times the source's paths and words; and a
    sheet that repeats a block, as unit plans do. ``shift_pt``: every block moved right and
    down by this (points of the displayed sheet): the same sheet re-plotted."""
    W, H = size_in[0] * 72, size_in[1] * 72
    cols, rows = grid
    cw, ch = W / cols, H / rows

    def cells(w, h):
        s = min(cw / w, ch / h)
        return [pdfium.PdfMatrix().scale(s, s).translate(
            c * cw + (cw - w * s) / 2 + shift_pt[0], r * ch + (ch - h * s) / 2 - shift_pt[1])
            for r in range(rows) for c in range(cols)]

    return _placed_copy(src, out, cells, (W, H))


def moved_vector_copy(src: str | os.PathLike, out: str | os.PathLike, dx: float, dy: float,
                      turn: float = 0.0) -> str:
    """Page 0 of a vector PDF re-plotted on a sheet of its size, turned ``turn`` degrees
    (counter-clockwise about the sheet's bottom-left corner) and moved ``dx`` right and
    ``dy`` down (points of the displayed sheet), still vector (a form XObject): a CAD
    re-plot whose origin moved. With ``turn`` 0 it maps old points p to p + (dx, dy)."""
    return _placed_copy(  # PDF user space is y up
        src, out, lambda w, h: pdfium.PdfMatrix().rotate(turn, ccw=True).translate(dx, -dy))


def reweighted_vector_copy(src: str | os.PathLike, out: str | os.PathLike,
                           factor: float, only: float | None = None) -> str:
    """Page 0 of a vector PDF with every stroked line ``factor`` times as wide (a line drawn
    0 wide, the thinnest a device can, stays so): the same drawing plotted with another pen
    table or plot style; or, with ``only``, the lines of that width alone (one pen, as its
    width is stored, to 0.001). Lines inside form XObjects are left as they are."""
    from .engine.drawing_set import stroke_width

    pdf = pdfium.PdfDocument(os.fspath(src))
    page = pdf[0]
    for i in range(pdfium_c.FPDFPage_CountObjects(page.raw)):
        obj = pdfium_c.FPDFPage_GetObject(page.raw, i)
        width = stroke_width(obj)
        if width is not None and (only is None or round(width, 3) == round(only, 3)):
            pdfium_c.FPDFPageObj_SetStrokeWidth(obj, ctypes.c_float(width * factor))
    pdfium_c.FPDFPage_GenerateContent(page.raw)
    page.close()
    pdf.save(os.fspath(out))
    pdf.close()
    return os.fspath(out)


def _placed_copy(src: str | os.PathLike, out: str | os.PathLike, placement,
                 size_pt: tuple[float, float] | None = None) -> str:
    """Page 0 of a vector PDF drawn, as a form XObject, on the one page of a new PDF of
    ``size_pt`` (default: its own size) through ``placement(w, h)`` (a ``PdfMatrix`` from
    its w×h points in PDF user space, y up; or a list of them: drawn once through each)."""
    src_pdf = pdfium.PdfDocument(os.fspath(src))
    w, h = src_pdf[0].get_size()
    dest = pdfium.PdfDocument.new()
    page = dest.new_page(*(size_pt or (w, h)))
    xobject = src_pdf.page_as_xobject(0, dest)
    placed = placement(w, h)
    for matrix in placed if isinstance(placed, list) else [placed]:
        obj = xobject.as_pageobject()
        obj.set_matrix(matrix)
        page.insert_obj(obj)
    page.gen_content()
    page.close()
    dest.save(os.fspath(out))
    dest.close()
    src_pdf.close()
    return os.fspath(out)


def add_vector_edits(src: str | os.PathLike, out: str | os.PathLike, seed: int,
                     n: int = 4, *, rgb: tuple[int, int, int] = (0, 0, 0),
                     width_pt: float = 1.5, labels: bool = True
                     ) -> list[tuple[float, float, float, float]]:
    """Copy ``src`` with ``n`` new vector details (boxes stroked ``width_pt`` wide in colour
    ``rgb``, with ``labels`` in the same colour) at random places; returns their boxes
    (points, top-left origin)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    pdf = pdfium.PdfDocument(os.fspath(src))
    page = pdf[0]
    w, h = page.get_size()
    boxes = []
    for i in range(n):
        bw, bh = rng.uniform(40, 120), rng.uniform(40, 120)
        x0, y0 = rng.uniform(72, w * 0.5), rng.uniform(72, h * 0.6)
        boxes.append((x0, y0, x0 + bw, y0 + bh))
        stroke_box(page, boxes[-1], rgb=rgb, width_pt=width_pt)
    pdfium_c.FPDFPage_GenerateContent(page.raw)
    page.close()
    for i, (x0, y0, x1, y1) in enumerate(boxes if labels else []):
        write_text(pdf, 0, f"D-{i + 1}", (x0 + 4, y0 + 16), 12, rgb=rgb)
    pdf.save(os.fspath(out))
    pdf.close()
    return boxes


def add_vector_clouds(src: str | os.PathLike, out: str | os.PathLike, boxes, seed: int, *,
                      margin_pt: float = 18.0, width_pt: float = 1.0,
                      inverted: bool = False) -> list[tuple[float, float, float, float]]:
    """Copy ``src`` with a revision cloud (:func:`cloud_arcs`, arcs of 12-30 pt) around each
    of ``boxes`` (points, top-left origin) grown by ``margin_pt``; returns the clouds'
    boxes (to the arcs' crests, points)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    pdf = pdfium.PdfDocument(os.fspath(src))
    page = pdf[0]
    out_boxes = []
    for b in boxes:
        around = (b[0] - margin_pt, b[1] - margin_pt, b[2] + margin_pt, b[3] + margin_pt)
        arcs = cloud_arcs(around, rng.uniform(12, 30), bulge=rng.uniform(0.2, 0.4),
                          inverted=inverted, rng=rng)
        stroke_cloud(page, arcs, width_pt=width_pt)
        line = np.vstack([_bezier_points(a) for a in arcs])
        out_boxes.append((*line.min(axis=0), *line.max(axis=0)))
    pdfium_c.FPDFPage_GenerateContent(page.raw)
    page.close()
    pdf.save(os.fspath(out))
    pdf.close()
    return [tuple(float(v) for v in b) for b in out_boxes]


def add_vector_tags(src: str | os.PathLike, out: str | os.PathLike, cloud_boxes, label: str,
                    seed: int, *, offset: float = 0.55) -> list[tuple[float, float, float, float]]:
    """Copy ``src`` with a revision tag (:func:`stroke_tag`, 16-26 pt, ``label`` in the
    text layer) at a random corner of each of ``cloud_boxes`` (points, top-left origin),
    ``offset`` times its side off the corner; returns the tags' boxes (points)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    pdf = pdfium.PdfDocument(os.fspath(src))
    out_boxes = []
    for box in cloud_boxes:
        triangle = tag_triangle(box, rng.uniform(16, 26), int(rng.integers(4)), offset)
        stroke_tag(pdf, 0, triangle, label)
        out_boxes.append(triangle_box(triangle))
    pdf.save(os.fspath(out))
    pdf.close()
    return [tuple(float(v) for v in b) for b in out_boxes]


def _text_objects(page, textpage):
    """(object, text, box) of each text object of a pypdfium2 ``page`` (``textpage``: its
    text page); box in points, origin top-left."""
    h = page.get_height()
    for i in range(pdfium_c.FPDFPage_CountObjects(page.raw)):
        obj = pdfium_c.FPDFPage_GetObject(page.raw, i)
        if pdfium_c.FPDFPageObj_GetType(obj) != pdfium_c.FPDF_PAGEOBJ_TEXT:
            continue
        n = pdfium_c.FPDFTextObj_GetText(obj, textpage.raw, None, 0)
        buf = ctypes.create_string_buffer(2 * n)
        pdfium_c.FPDFTextObj_GetText(obj, textpage.raw,
                                     ctypes.cast(buf, ctypes.POINTER(ctypes.c_ushort)), n)
        yield obj, buf.raw.decode("utf-16-le").rstrip("\x00"), _object_box(obj, h)


def _object_box(obj, page_height: float) -> tuple[float, float, float, float]:
    """A page object's bounds in points, origin top-left, y down."""
    l, b, r, t = (ctypes.c_float() for _ in range(4))
    pdfium_c.FPDFPageObj_GetBounds(obj, l, b, r, t)
    return (l.value, page_height - t.value, r.value, page_height - b.value)


def edit_text_objects(src: str | os.PathLike, out: str | os.PathLike, *,
                      relabel: dict[str, str] | None = None,
                      move: dict[str, tuple[float, float]] | None = None) -> dict:
    """Copy the first page of vector ``src`` with text objects edited in place, in their
    own (possibly non-embedded) font, as a CAD revision would: the first object reading
    each key of ``relabel`` re-lettered to its value, the first reading each key of
    ``move`` moved by (dx, dy) points (right, down). Returns each edited text's box before
    and after, {text: (old box, new box)} (points, origin top-left)."""
    relabel, move = relabel or {}, move or {}
    pdf = pdfium.PdfDocument(os.fspath(src))
    page = pdf[0]
    textpage = page.get_textpage()
    edited: dict = {}
    for obj, text, before in list(_text_objects(page, textpage)):
        if text in edited or (text not in relabel and text not in move):
            continue
        if text in relabel:
            new = relabel[text]
            units = (ctypes.c_ushort * (len(new) + 1))(*[ord(c) for c in new], 0)
            if not pdfium_c.FPDFText_SetText(obj, units):
                raise ValueError(f"cannot set {new!r} in the font of {text!r}")
        if text in move:
            dx, dy = move[text]
            pdfium_c.FPDFPageObj_Transform(obj, 1, 0, 0, 1, dx, -dy)
        edited[text] = (before, _object_box(obj, page.get_height()))
    missing = (set(relabel) | set(move)) - set(edited)
    if missing:
        raise ValueError(f"no text object reads {sorted(missing)}")
    pdfium_c.FPDFPage_GenerateContent(page.raw)
    textpage.close()
    page.close()
    pdf.save(os.fspath(out))
    pdf.close()
    return edited


def label_revision(src: str | os.PathLike, out: str | os.PathLike, seed: int, *,
                   moved: int = 2, relettered: int = 1) -> dict:
    """A revision of vector sheet ``src`` (page 0) whose labels changed as a designer
    changes them: ``moved`` labels (texts with a letter that the sheet draws once, off its
    title block) each moved 10-150 pt in a random direction (staying off it), and
    ``relettered`` one-word others with one character replaced by another the sheet uses.
    Returns the truth, {"old", "new", "moved": [{"text", "from_bbox", "bbox"}],
    "relettered": [{"bbox", "text_before", "text_after"}]} (boxes: points, origin
    top-left)."""
    import math
    from collections import Counter

    import numpy as np

    from .engine.drawing_set import open_set
    from .engine.identify import identify_page
    from .engine.regions import boxes_overlap
    from .engine.titleblock import find_title_block

    rng = np.random.default_rng(seed)
    with open_set(os.fspath(src)) as sheets:
        page = sheets.page(0)
        ident = identify_page(page)
        block = find_title_block(page.render(dpi=100), 100, page.size_pt, ident.number_bbox)
        w_pt, h_pt = page.size_pt
    pdf = pdfium.PdfDocument(os.fspath(src))
    pdf_page = pdf[0]
    textpage = pdf_page.get_textpage()
    objects = [(text, box) for _obj, text, box in _text_objects(pdf_page, textpage)]
    textpage.close()
    pdf_page.close()
    pdf.close()
    drawn = Counter(text for text, _box in objects)
    boxes = dict(objects)

    def clear(box) -> bool:  # on the sheet, off the title block
        return (18 <= box[0] and box[2] <= w_pt - 18 and 18 <= box[1] and box[3] <= h_pt - 18
                and (block is None or not boxes_overlap(box, block)))

    labels = [t for t, n in sorted(drawn.items())
              if n == 1 and len(t.strip()) >= 2 and any(c.isalpha() for c in t)
              and clear(boxes[t])]
    # re-lettered: one word (PDFium sets new text at the font's own advances, so a text
    # object spaced out by its drawing program would be laid out anew)
    words = [t for t in labels if " " not in t.strip() and "\u3000" not in t]
    chosen_re = [words[i] for i in rng.choice(len(words), relettered, replace=False)]
    movable = [t for t in labels if t not in chosen_re]
    chosen = [movable[i] for i in rng.choice(len(movable), moved, replace=False)] + chosen_re
    alphabet = sorted({c for t in drawn for c in t if c.isalpha()})
    move, relabel = {}, {}
    for text in chosen[:moved]:
        x0, y0, x1, y1 = boxes[text]
        for _ in range(100):  # a move that keeps the label on the sheet, off the title block
            d, a = rng.uniform(10, 150), rng.uniform(0, 2 * math.pi)
            dx, dy = d * math.cos(a), d * math.sin(a)
            if clear((x0 + dx, y0 + dy, x1 + dx, y1 + dy)):
                break
        move[text] = (dx, dy)
    for text in chosen[moved:]:
        k = int(rng.choice([i for i, c in enumerate(text) if not c.isspace()]))
        other = [c for c in alphabet if c != text[k]]
        relabel[text] = text[:k] + other[int(rng.integers(len(other)))] + text[k + 1:]
    edited = edit_text_objects(src, out, relabel=relabel, move=move)
    return {"old": os.fspath(src), "new": os.fspath(out),
            "moved": [{"text": t, "from_bbox": edited[t][0], "bbox": edited[t][1]}
                      for t in move],
            "relettered": [{"bbox": edited[t][1], "text_before": t, "text_after": relabel[t]}
                           for t in relabel]}


def _dimension(rng) -> str:
    """A random dimension or tag as drawings print them: 31'-6", 3'-9 1/2", 101.50, D-12."""
    form = int(rng.integers(0, 4))
    if form == 0:
        return f"{rng.integers(1, 60)}'-{rng.integers(0, 12)}\""
    if form == 1:
        den = int(rng.choice([2, 4, 8, 16]))
        num = int(rng.integers(1, den)) | 1
        return f"{rng.integers(1, 40)}'-{rng.integers(0, 12)} {num}/{den}\""
    if form == 2:
        return f"{rng.integers(90, 130)}.{rng.integers(0, 100):02d}"
    return f"{'DWSTR'[int(rng.integers(0, 5))]}-{rng.integers(10, 99)}"


def _one_digit_changed(text: str, rng) -> str:
    """``text`` with one of its digits replaced by another digit."""
    digits = [i for i, c in enumerate(text) if c.isdigit()]
    i = int(rng.choice(digits))
    new = str((int(text[i]) + int(rng.integers(1, 10))) % 10)
    return text[:i] + new + text[i + 1:]


def make_dimension_revision(src: str | os.PathLike, out_dir: str | os.PathLike, seed: int, *,
                            n: int = 8, size_pt: float = 7.0, scan: bool = True,
                            text_layer: bool = False, harsh: bool = False) -> dict:
    """Make ``old.pdf`` and ``new.pdf`` from page 0 of ``src`` with ``n`` dimensions (or tags)
    printed in empty places in Helvetica ``size_pt``, each with exactly one digit changed in
    the new sheet (31'-6" → 31'-8"): the smallest change a revision makes, and the one a
    pixel overlay with a tolerance sees least.

    ``scan``: both sheets are rasterised at :data:`SYNTH_DPI` and the new one re-scanned
    (rotation, scale, shift, noise, as :func:`make_revision`), with an OCR-like text layer only
    if ``text_layer``; otherwise they stay vector PDFs with the text as real text.

    Returns the truth like :func:`make_revision`: ``edits`` of kind ``text`` with ``bbox``
    (new-sheet points, top-left origin), ``text_before``, ``text_after``; and ``matrix``."""
    import numpy as np

    from .engine.drawing_set import open_set

    rng = np.random.default_rng(seed)
    out_dir = os.fspath(out_dir)
    os.makedirs(out_dir, exist_ok=True)
    with open_set(src) as s:
        page = s.page(0)
        w_pt, h_pt = page.size_pt
        k = 2.0  # px per point of the raster the free places are looked for in
        busy = page.render(dpi=72 * k) < 200
    texts, spots = [], []
    for _ in range(4000):
        if len(spots) == n:
            break
        text = _dimension(rng)
        tw, th = 0.62 * size_pt * len(text) + 6, size_pt + 6  # generous: Helvetica's widest
        x, y = rng.uniform(54, w_pt * 0.85 - tw), rng.uniform(54 + th, h_pt * 0.8)
        box = (x - 3, y - size_pt - 3, x + tw, y + 5)
        r0, r1, c0, c1 = (int(box[1] * k), int(box[3] * k), int(box[0] * k), int(box[2] * k))
        if busy[r0:r1, c0:c1].any() or any(box[0] < b[2] + 12 and b[0] < box[2] + 12
                                           and box[1] < b[3] + 12 and b[1] < box[3] + 12
                                           for b in spots):
            continue
        texts.append((text, _one_digit_changed(text, rng), (x, y)))
        spots.append(box)
    edits = []
    paths = {}
    for side in ("old", "new"):
        pdf = pdfium.PdfDocument(os.fspath(src))
        boxes = [write_text(pdf, 0, before if side == "old" else after, at, size_pt)
                 for before, after, at in texts]
        paths[side] = os.path.join(out_dir, f"{side}.pdf" if not scan else f"{side}-vector.pdf")
        pdf.save(paths[side])
        pdf.close()
        if side == "new":
            # the truth is the word that changed, as a word diff reports it (3'-9 1/2" →
            # 3'-9 1/4" changes the word 1/2")
            edits = [{"kind": "text", "bbox": b, "text_before": wb, "text_after": wa}
                     for (before, after, _at), b in zip(texts, boxes)
                     for wb, wa in zip(before.split(), after.split()) if wb != wa]
    matrix = np.array([[1.0, 0, 0], [0, 1.0, 0]])
    if scan:
        rasters, words = {}, {}
        for side in ("old", "new"):
            with open_set(paths[side]) as s:
                page = s.page(0)
                rasters[side] = page.render(dpi=SYNTH_DPI, as_ink=False)
                words[side] = page.words() if text_layer else []
            os.unlink(paths[side])
        rasters["new"], matrix, _ = _rescan(rasters["new"], rng, (w_pt, h_pt), harsh=harsh)
        words["new"] = [_map_word(w, matrix) for w in words["new"]]
        for e in edits:
            e["bbox"] = _map_box(e["bbox"], matrix)
        for side in ("old", "new"):
            paths[side] = raster_pdf(rasters[side], words[side], (w_pt, h_pt),
                                     os.path.join(out_dir, f"{side}.pdf"),
                                     quality=75 if harsh and side == "new" else 92)
    return {"old": paths["old"], "new": paths["new"], "edits": edits, "matrix": matrix.tolist(),
            "seed": seed, "source": os.fspath(src)}
