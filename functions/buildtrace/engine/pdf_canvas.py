"""Pages of a new PDF drawn with PDF objects: text as text, images at their own resolution,
boxes as vector paths (PDFium, through pypdfium2).

report.pdf is laid out in pixels of a page at :data:`LAYOUT_DPI` (as a raster page would
be); a :class:`PdfCanvas` takes those coordinates (origin top-left, y down) and draws real
PDF objects, so a reader can search and copy its text ("M101", a changed dimension), it
prints crisp at any size, and its images keep the resolution they were made at.

Text is set in Helvetica (a standard font, nothing embedded), which holds the Western
European characters (Windows-1252). Characters it lacks (a Japanese sheet title, an arrow)
are set in the first TrueType font of :data:`FALLBACK_FONTS` on the machine that has them,
embedded as a subset of just those characters (:class:`EmbeddedFonts`, a few KB): still
text a reader can search and copy. A character no such font has is drawn by Pillow into an
image in its place (in boxes, without any font that has it); the rest of the line and the
page is still text.
"""

from __future__ import annotations

import ctypes
import functools
import io
import logging
import os

from .pdfium_fonts import PACKAGE_FONTS

#: The layout's pixels: a canvas coordinate is a pixel of a page at this resolution.
LAYOUT_DPI = 150.0
#: Fonts for characters Helvetica cannot set (Japanese first), where they are: the package's
#: (:data:`.pdfium_fonts.PACKAGE_FONTS`, which `make setup` fills), then Debian's
#: fonts-noto-cjk, fonts-droid-fallback, fonts-ipafont-gothic and fonts-dejavu-core where
#: installed. The TrueType ones (.ttf) are embedded (:class:`EmbeddedFonts`); any of them
#: draws the image of a character none of those has.
FALLBACK_FONTS = (
    os.path.join(PACKAGE_FONTS, "ipag.ttf"),
    os.path.join(PACKAGE_FONTS, "DroidSansFallbackFull.ttf"),
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/opentype/ipafont-gothic/ipagp.ttf",
    os.path.join(PACKAGE_FONTS, "DejaVuSans.ttf"),
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
    images. Colours are RGB tuples or "black"/"white". Call :meth:`finish` once drawn.
    ``fonts``: the document's :class:`EmbeddedFonts`, for characters Helvetica cannot set
    (without it, or for a character it lacks, they are drawn as images). ``index``: where
    the page goes in ``doc`` (0-based; at the end by default)."""

    def __init__(self, doc, size_px: tuple[int, int], fonts: EmbeddedFonts | None = None,
                 index: int | None = None):
        self.doc, self.fonts = doc, fonts
        self.k = 72.0 / LAYOUT_DPI  # points per layout pixel
        self.w_px, self.h_px = size_px
        self.page = doc.new_page(self.w_px * self.k, self.h_px * self.k, index=index)
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
        return sum(self._run_length(run, font) for run in self._runs(text))

    def _runs(self, text: str) -> list[str]:
        """``text`` cut where the font that sets it changes (:meth:`_font_of`)."""
        runs: list[str] = []
        last = None
        for ch in text:
            f = self._font_of(ch)
            if runs and f == last:
                runs[-1] += ch
            else:
                runs.append(ch)
            last = f
        return runs

    def _font_of(self, ch: str):
        """Who sets ``ch``: "helvetica", an embedded font's index, or None (an image)."""
        if settable(ch):
            return "helvetica"
        return None if self.fonts is None else self.fonts.font_index(ch)

    def _run_length(self, text: str, font: float) -> float:
        """The width (layout pixels) of a run of :meth:`_runs` at size ``font``."""
        if not text:
            return 0.0
        which = self._font_of(text[0])
        if which is None:
            return float(_fallback_font(font).getlength(text))
        if which != "helvetica":
            return self.fonts.advance(text, font)
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
        runs = self._runs(text)
        for i, run in enumerate(runs):
            which = self._font_of(run[0])
            if which is None:
                self._text_image((x, xy[1]), run, fill, font)
            else:
                self._text_run((x, xy[1]), run, fill, font, which)
            if i + 1 < len(runs):  # the next run starts where this one ends
                x += self._run_length(run, font)

    def _text_run(self, xy, text: str, fill, font: float, which="helvetica") -> None:
        import pypdfium2.raw as pdfium_c

        if which == "helvetica":
            obj = text_object(self.doc, text, font * self.k)
        else:
            obj = self.fonts.text_object(which, text, font * self.k)
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
    def rectangle(self, box, outline="black", width: float = 1, fill=None) -> None:
        """The outline of ``box`` (x0, y0, x1, y1 layout pixels), ``width`` pixels wide;
        filled with ``fill`` when given (and not outlined when ``outline`` is None)."""
        import pypdfium2.raw as pdfium_c

        x0, y0, x1, y1 = box
        obj = pdfium_c.FPDFPageObj_CreateNewRect(self._x(x0), self._y(y1),
                                                 (x1 - x0) * self.k, (y1 - y0) * self.k)
        if outline is not None:
            pdfium_c.FPDFPageObj_SetStrokeColor(obj, *self._rgb(outline), 255)
            pdfium_c.FPDFPageObj_SetStrokeWidth(obj, ctypes.c_float(width * self.k))
        if fill is not None:
            pdfium_c.FPDFPageObj_SetFillColor(obj, *self._rgb(fill), 255)
        pdfium_c.FPDFPath_SetDrawMode(obj, pdfium_c.FPDF_FILLMODE_NONE
                                      if fill is None else pdfium_c.FPDF_FILLMODE_WINDING,
                                      outline is not None)
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


class EmbeddedFonts:
    """The fonts a document embeds for the characters of ``texts`` Helvetica cannot set:
    each such character goes to the first TrueType font of :data:`FALLBACK_FONTS` on this
    machine whose character map holds it, and each font used is embedded once, as a subset
    of its characters (fontTools' subsetter: a few KB, where the whole of Droid Sans
    Fallback is 4 MB), as a CID font (PDFium makes its ToUnicode map, so the text can be
    searched and copied). The first use of a font in a process reads its character map
    (0.1-0.2 s); each new subset takes about 0.3 s."""

    def __init__(self, doc, texts):
        self.doc = doc
        self._of: dict[str, int] = {}  # character -> index in self._fonts
        self._fonts: list = []  # (PDFium font handle, advances: char -> em share)
        wanted = sorted({ch for t in texts for ch in str(t)
                         if not settable(ch) and not ch.isspace()})
        for path in FALLBACK_FONTS:
            if not wanted or not path.endswith(".ttf"):
                continue
            cmap = _character_map(path)
            mine = [ch for ch in wanted if ord(ch) in cmap]
            if not mine:
                continue
            data, advances = _subset(path, "".join(mine))
            handle = load_font(doc, data)
            if handle is None:
                continue
            for ch in mine:
                self._of[ch] = len(self._fonts)
            self._fonts.append((handle, advances))
            wanted = [ch for ch in wanted if ch not in self._of]

    def font_index(self, ch: str) -> int | None:
        """The index of the embedded font that sets ``ch``, or None."""
        return self._of.get(ch)

    def text_object(self, index: int, text: str, size_pt: float):
        """A new text object holding ``text`` in embedded font ``index`` at ``size_pt``, at
        the origin, not yet on a page (raw PDFium handle)."""
        import pypdfium2.raw as pdfium_c

        obj = pdfium_c.FPDFPageObj_CreateTextObj(self.doc.raw, self._fonts[index][0],
                                                 ctypes.c_float(size_pt))
        set_text(obj, text)
        return obj

    def advance(self, text: str, size: float) -> float:
        """The width of ``text`` (characters of one embedded font) at ``size``, in the
        size's unit."""
        advances = self._fonts[self._of[text[0]]][1]
        return size * sum(advances.get(ch, 1.0) for ch in text)

    def close(self) -> None:
        """Let go of the fonts (once the document is saved; its text objects keep them)."""
        import pypdfium2.raw as pdfium_c

        for handle, _ in self._fonts:
            pdfium_c.FPDFFont_Close(handle)
        self._fonts = []
        self._of = {}

    @property
    def characters(self) -> str:
        """The characters the document sets in embedded fonts."""
        return "".join(sorted(self._of))


def load_font(doc, data: bytes):
    """TrueType font ``data`` loaded into ``doc`` as a CID font (a PDFium font handle, to
    close with ``FPDFFont_Close`` once the text objects using it are drawn), or None."""
    import pypdfium2.raw as pdfium_c

    arr = (ctypes.c_uint8 * len(data)).from_buffer_copy(data)  # PDFium copies it
    return pdfium_c.FPDFText_LoadFont(doc.raw, arr, len(data), pdfium_c.FPDF_FONT_TRUETYPE,
                                      1) or None


#: A glyphless font's advance, as a share of the font size (:func:`glyphless_font`).
GLYPHLESS_ADVANCE = 0.5


@functools.lru_cache(maxsize=64)
def glyphless_font(chars: str) -> bytes:
    """A TrueType font with a blank glyph, :data:`GLYPHLESS_ADVANCE` wide, for each of
    ``chars``: what an OCR text layer is set in (it is never seen, only searched and copied:
    drawn invisible, a glyph is its box's outline), for any script, whatever fonts the
    machine has."""
    from fontTools.fontBuilder import FontBuilder
    from fontTools.pens.ttGlyphPen import TTGlyphPen

    names = {ch: f"uni{ord(ch):04X}" for ch in sorted(set(chars))}
    order = [".notdef", *names.values()]
    fb = FontBuilder(1000, isTTF=True)
    fb.setupGlyphOrder(order)
    fb.setupCharacterMap({ord(ch): name for ch, name in names.items()})
    def box():  # a glyph's box as its outline: never drawn (the layer is invisible), but
        # PDFium places a turned character by its glyph's box, and an empty one is no text
        pen = TTGlyphPen(None)
        advance = int(GLYPHLESS_ADVANCE * 1000)
        for x, y in ((0, -200), (advance, -200), (advance, 800), (0, 800)):
            (pen.moveTo if x == 0 and y == -200 else pen.lineTo)((x, y))
        pen.closePath()
        return pen.glyph()

    fb.setupGlyf({".notdef": TTGlyphPen(None).glyph(), **{name: box() for name in names.values()}})
    fb.setupHorizontalMetrics({name: (int(GLYPHLESS_ADVANCE * 1000), 0) for name in order})
    fb.setupHorizontalHeader(ascent=800, descent=-200)
    fb.setupNameTable({"familyName": "BuildTraceGlyphless", "styleName": "Regular"})
    fb.setupOS2(sTypoAscender=800, sTypoDescender=-200, usWinAscent=800, usWinDescent=200)
    fb.setupPost()
    buf = io.BytesIO()
    fb.save(buf)
    return buf.getvalue()


@functools.lru_cache(maxsize=None)
def _character_map(path: str) -> frozenset:
    """The code points the font at ``path`` holds (empty when it is missing, unreadable, or
    fontTools is not installed: its characters are then drawn as images)."""
    try:
        from fontTools.ttLib import TTFont

        return frozenset((TTFont(path, lazy=True).getBestCmap() or {}).keys())
    except Exception:  # noqa: BLE001 - no font is as good as an unreadable one
        return frozenset()


@functools.lru_cache(maxsize=64)
def _subset(path: str, chars: str) -> tuple[bytes, dict[str, float]]:
    """The font at ``path`` cut down to ``chars`` (TrueType bytes), and each character's
    advance as a share of the font size. Kept: a report, or a generator's sheets, set the
    same characters again and again."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    face = TTFont(path, lazy=True)
    cmap = face.getBestCmap()
    em, hmtx = face["head"].unitsPerEm, face["hmtx"]
    advances = {ch: hmtx[cmap[ord(ch)]][0] / em for ch in chars if ord(ch) in cmap}
    options = subset.Options()
    options.notdef_outline = True
    options.name_IDs = ["*"]
    options.layout_features = []  # one glyph a character, as PDFium sets them
    sub = subset.Subsetter(options)
    sub.populate(text=chars)
    quiet = logging.getLogger("fontTools.subset")
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # "FFTM NOT subset; dropped" and the like
    try:
        sub.subset(face)
    finally:
        quiet.setLevel(level)
    buf = io.BytesIO()
    face.save(buf)
    return buf.getvalue(), advances


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
