"""Pages of a new PDF drawn with PDF objects: text as text, images at their own resolution,
boxes as vector paths (PDFium, through pypdfium2).

report.pdf is laid out in pixels of a page at :data:`LAYOUT_DPI` (as a raster page would
be); a :class:`PdfCanvas` takes those coordinates (origin top-left, y down) and draws real
PDF objects, so a reader can search and copy its text ("M101", a changed dimension), it
prints crisp at any size, and its images keep the resolution they were made at.

Text is set in Helvetica (a standard font, nothing embedded), which holds the Western
European characters (Windows-1252). Characters it lacks (a Japanese sheet title) are drawn
by Pillow into an image in their place, in the first font found on the machine
(:data:`FALLBACK_FONTS`); without one that has them their glyphs show as boxes, and the
rest of the line and the page is still text.
"""

from __future__ import annotations

import ctypes
import os

#: The layout's pixels: a canvas coordinate is a pixel of a page at this resolution.
LAYOUT_DPI = 150.0
#: Fonts Pillow may draw a line Helvetica cannot set (CJK first), where the machine has
#: them (Debian: fonts-noto-cjk, fonts-droid-fallback, fonts-ipafont-gothic,
#: fonts-dejavu-core).
FALLBACK_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/opentype/ipafont-gothic/ipagp.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
)
#: Baseline of a line of text below its top, as a share of the font size (Helvetica's
#: ascender), so a line's top is where a raster layout put it.
ASCENT = 0.78


def settable(text: str) -> bool:
    """Can Helvetica (a standard PDF font: Windows-1252) set ``text``?"""
    try:
        text.encode("cp1252")
        return True
    except UnicodeEncodeError:
        return False


class PdfCanvas:
    """One page of ``doc`` (a ``pypdfium2.PdfDocument``), ``size_px`` (width, height) layout
    pixels (:data:`LAYOUT_DPI`), drawn with the calls of a Pillow ``ImageDraw`` a layout
    uses: :meth:`text`, :meth:`textlength`, :meth:`rectangle`, and :meth:`paste` for
    images. Colours are RGB tuples or "black"/"white". Call :meth:`finish` once drawn."""

    def __init__(self, doc, size_px: tuple[int, int]):
        self.doc = doc
        self.k = 72.0 / LAYOUT_DPI  # points per layout pixel
        self.w_px, self.h_px = size_px
        self.page = doc.new_page(self.w_px * self.k, self.h_px * self.k)
        self._xx: dict = {}  # font size -> ink width of "xx" (points), see _run_length

    # -- geometry -----------------------------------------------------------------------
    def _x(self, x_px: float) -> float:
        return x_px * self.k

    def _y(self, y_px: float) -> float:  # PDF user space is y up
        return (self.h_px - y_px) * self.k

    @staticmethod
    def _rgb(fill) -> tuple[int, int, int]:
        return {"black": (0, 0, 0), "white": (255, 255, 255)}.get(fill, fill) \
            if isinstance(fill, str) else tuple(int(v) for v in fill)

    # -- text ---------------------------------------------------------------------------
    def textlength(self, text: str, font: float) -> float:
        """The width (layout pixels) of ``text`` at size ``font`` (layout pixels)."""
        return sum(self._run_length(run, font) for run in _runs(text))

    def _run_length(self, text: str, font: float) -> float:
        if not text:
            return 0.0
        if not settable(text):
            return float(_fallback_font(font).getlength(text))
        # the advance, spaces included: the ink box of "x" + text + "x" less that of "xx"
        if font not in self._xx:
            self._xx[font] = self._ink_width("xx", font)
        return (self._ink_width(f"x{text}x", font) - self._xx[font]) / self.k

    def _ink_width(self, text: str, font: float) -> float:
        """The width (points) of the ink box PDFium gives ``text`` set at ``font``."""
        import pypdfium2.raw as pdfium_c

        obj = text_object(self.doc, text, font * self.k)
        left, bottom, right, top = (ctypes.c_float() for _ in range(4))
        pdfium_c.FPDFPageObj_GetBounds(obj, left, bottom, right, top)
        pdfium_c.FPDFPageObj_Destroy(obj)
        return right.value - left.value

    def text(self, xy: tuple[float, float], text: str, fill="black", font: float = 16) -> None:
        """``text`` with its top-left corner at ``xy`` (layout pixels), size ``font``
        (layout pixels), colour ``fill``."""
        x = xy[0]
        runs = _runs(text)
        for i, run in enumerate(runs):
            if settable(run):
                self._text_run((x, xy[1]), run, fill, font)
            else:
                self._text_image((x, xy[1]), run, fill, font)
            if i + 1 < len(runs):  # the next run starts where this one ends
                x += self._run_length(run, font)

    def _text_run(self, xy, text: str, fill, font: float) -> None:
        import pypdfium2.raw as pdfium_c

        obj = text_object(self.doc, text, font * self.k)
        pdfium_c.FPDFPageObj_Transform(obj, 1, 0, 0, 1, self._x(xy[0]),
                                       self._y(xy[1] + ASCENT * font))
        pdfium_c.FPDFPageObj_SetFillColor(obj, *self._rgb(fill), 255)
        pdfium_c.FPDFPage_InsertObject(self.page.raw, obj)

    def _text_image(self, xy, text: str, fill, font: float) -> None:
        """Text Helvetica cannot set, drawn by Pillow at twice the layout's resolution."""
        from PIL import Image, ImageDraw

        big = _fallback_font(2 * font)
        w = int(big.getlength(text)) + 4
        im = Image.new("RGB", (max(1, w), int(2 * font * 1.3) + 2), "white")
        ImageDraw.Draw(im).text((0, 0), text, fill=self._rgb(fill), font=big)
        self.paste(im, xy, (im.width / 2, im.height / 2))

    # -- shapes and images -------------------------------------------------------------
    def rectangle(self, box, outline="black", width: float = 1) -> None:
        """The outline of ``box`` (x0, y0, x1, y1 layout pixels), ``width`` pixels wide."""
        import pypdfium2.raw as pdfium_c

        x0, y0, x1, y1 = box
        obj = pdfium_c.FPDFPageObj_CreateNewRect(self._x(x0), self._y(y1),
                                                 (x1 - x0) * self.k, (y1 - y0) * self.k)
        pdfium_c.FPDFPageObj_SetStrokeColor(obj, *self._rgb(outline), 255)
        pdfium_c.FPDFPageObj_SetStrokeWidth(obj, ctypes.c_float(width * self.k))
        pdfium_c.FPDFPath_SetDrawMode(obj, pdfium_c.FPDF_FILLMODE_NONE, 1)
        pdfium_c.FPDFPage_InsertObject(self.page.raw, obj)

    def paste(self, image, xy: tuple[float, float],
              size: tuple[float, float] | None = None) -> None:
        """A Pillow image with its top-left corner at ``xy``, ``size`` (width, height)
        layout pixels (default: its own pixels): embedded at its own resolution, so a
        larger image than its place keeps its detail when the reader zooms."""
        import pypdfium2 as pdfium

        w, h = size or image.size
        bitmap = pdfium.PdfBitmap.from_pil(image if image.mode == "RGB" else image.convert("RGB"))
        obj = pdfium.PdfImage.new(self.doc)
        obj.set_bitmap(bitmap)  # copied into the image object
        bitmap.close()
        obj.set_matrix(pdfium.PdfMatrix().scale(w * self.k, h * self.k)
                       .translate(self._x(xy[0]), self._y(xy[1] + h)))
        self.page.insert_obj(obj)

    def finish(self) -> None:
        """Write the page's content (once every object is drawn)."""
        self.page.gen_content()
        self.page.close()


def text_object(doc, text: str, size_pt: float, font: str = "Helvetica"):
    """A new text object of ``doc`` (a ``pypdfium2.PdfDocument``) holding ``text`` in the
    standard ``font`` at ``size_pt``, at the origin, not yet on a page (raw PDFium handle)."""
    import pypdfium2.raw as pdfium_c

    obj = pdfium_c.FPDFPageObj_NewTextObj(doc.raw, font.encode(), ctypes.c_float(size_pt))
    set_text(obj, text)
    return obj


def set_text(obj, text: str) -> None:
    """Set the text of a PDFium text object (UTF-16, as PDFium takes it)."""
    import pypdfium2.raw as pdfium_c

    wide = ctypes.create_string_buffer((text + "\0").encode("utf-16-le"))
    pdfium_c.FPDFText_SetText(obj, ctypes.cast(wide, ctypes.POINTER(pdfium_c.FPDF_WCHAR)))


def _runs(text: str) -> list[str]:
    """``text`` cut where it passes between characters Helvetica can set and others."""
    runs: list[str] = []
    for ch in text:
        if runs and settable(ch) == settable(runs[-1][-1]):
            runs[-1] += ch
        else:
            runs.append(ch)
    return runs


_FONTS: dict = {}


def _fallback_font(size: float):
    """Pillow's font for a line Helvetica cannot set: the first of :data:`FALLBACK_FONTS`
    on this machine, else Pillow's own."""
    from PIL import ImageFont

    key = round(size)
    if key not in _FONTS:
        path = next((p for p in FALLBACK_FONTS if os.path.exists(p)), None)
        _FONTS[key] = (ImageFont.truetype(path, key) if path
                       else ImageFont.load_default(size=key))
    return _FONTS[key]
