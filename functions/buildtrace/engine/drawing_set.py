"""Reading a drawing set: a PDF of any page count, or one raster image as a one-sheet set.

Frames and units used throughout the engine:

* page sizes and word boxes are in **PDF points** (1/72 in) of the page *as displayed*
  (``/Rotate`` and the crop box applied), **origin top-left, y down**;
* rasters are ``uint8`` grayscale arrays (0 black, 255 white), row 0 at the top of the
  displayed page, at a DPI the caller chooses or derived from a pixel budget. They show
  *ink*: a PDF page drawn in light colours (yellow, cyan, light green lines, which the
  usual luminance grayscale renders near-white) is rendered in colour and each pixel takes
  its darkest channel, so a yellow line is as dark as a black one (see
  :meth:`Page.light_colours`).

A set is opened lazily: pages are loaded one at a time and released when another is used, so
a 500-page set streams and memory stays bounded by the largest single page in use.
"""

from __future__ import annotations

import ctypes
import math
import os
from dataclasses import dataclass
from typing import Iterator, Sequence

import numpy as np

from .errors import (CorruptPdfError, EmptySetError, EncryptedPdfError, MissingFileError,
                     PageTooLargeError, UnsupportedFileError)
from .geometry import linear_scale

#: The pixel budget: the largest raster the engine will make of one page, in pixels.
#: A page is refused when it exceeds this at :data:`REFERENCE_DPI` (about 4,400 in²: an ARCH E
#: 36×48 in sheet is 156 Mpx, a 36×120 in roll 389 Mpx, a 200×200 in page 3,600 Mpx), and
#: any render request is refused before allocating when it would exceed it.
MAX_PAGE_PIXELS = 400_000_000
#: The DPI at which a page must fit :data:`MAX_PAGE_PIXELS` to be accepted.
REFERENCE_DPI = 300
#: DPI assumed for a raster image that does not record one.
DEFAULT_IMAGE_DPI = 150

_IMAGE_MAGIC = {
    b"\x89PNG\r\n\x1a\n": "png",
    b"\xff\xd8\xff": "jpeg",
    b"II*\x00": "tiff",
    b"MM\x00*": "tiff",
}
_IMAGE_SUFFIXES = {".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg", ".tif": "tiff", ".tiff": "tiff"}


@dataclass(frozen=True)
class Word:
    """A word and its box: ``bbox`` is (x0, y0, x1, y1) in PDF points of the displayed page,
    origin top-left, y down. ``confidence`` is 1.0 for a text layer, the recogniser's own
    score (0..1) for OCR. ``turns``: the way it reads on the page, in quarter turns
    counter-clockwise from left to right (1: upwards, a CAD sheet's vertical dimension);
    a text layer says it, OCR says it for text it read up or down the raster."""

    text: str
    bbox: tuple[float, float, float, float]
    confidence: float = 1.0
    turns: int = 0

    @property
    def height(self) -> float:
        return self.bbox[3] - self.bbox[1]


def sniff_kind(path: str) -> str:
    """Return ``"pdf"`` or an image kind (``png``, ``jpeg``, ``tiff``) from the file's bytes.

    Raises :class:`UnsupportedFileError` when the content is neither, or when it contradicts
    the file name (a JPEG named ``.pdf`` is refused rather than guessed at: the user should
    know that the file they sent is not the drawing set they think it is)."""
    if not os.path.exists(path):
        raise MissingFileError("no such file", path=path)
    if os.path.isdir(path):
        raise UnsupportedFileError("is a folder, not a PDF or image file", path=path)
    with open(path, "rb") as fh:
        head = fh.read(1024)
    suffix = os.path.splitext(path)[1].lower()
    if not head:
        raise UnsupportedFileError("the file is empty (0 bytes)", path=path)
    kind = None
    if b"%PDF-" in head:
        kind = "pdf"
    else:
        for magic, name in _IMAGE_MAGIC.items():
            if head.startswith(magic):
                kind = name
                break
    if kind is None:
        raise UnsupportedFileError(
            "not a PDF or a PNG/JPEG/TIFF image (unrecognised content)", path=path)
    if suffix == ".pdf" and kind != "pdf":
        raise UnsupportedFileError(
            f"named .pdf but contains {kind.upper()} image data; rename it to "
            f".{'jpg' if kind == 'jpeg' else kind} to compare it as a one-sheet set", path=path)
    if suffix in _IMAGE_SUFFIXES and kind == "pdf":
        raise UnsupportedFileError(f"named {suffix} but contains a PDF; rename it to .pdf",
                                   path=path)
    return kind


def dpi_for_budget(width_pt: float, height_pt: float, max_pixels: int) -> float:
    """The highest DPI at which a page of this size fits in ``max_pixels``."""
    area_in2 = (width_pt / 72.0) * (height_pt / 72.0)
    return math.sqrt(max_pixels / area_in2)


class Page:
    """One sheet of a set. Cheap to hold: nothing is rendered until asked for."""

    def __init__(self, drawing_set: "DrawingSet", index: int, width_pt: float, height_pt: float,
                 rotation: int):
        self.drawing_set = drawing_set
        self.index = index  # 0-based
        self.width_pt = width_pt
        self.height_pt = height_pt
        self.rotation = rotation  # the page's /Rotate in degrees (already applied to size/boxes)

    @property
    def size_pt(self) -> tuple[float, float]:
        return (self.width_pt, self.height_pt)

    @property
    def size_in(self) -> tuple[float, float]:
        return (self.width_pt / 72.0, self.height_pt / 72.0)

    def words(self) -> list[Word]:
        """The words of the text layer (empty for images and pages without text)."""
        return self.drawing_set._words(self.index)

    def image_pixels(self) -> int:
        """Pixels of the raster images the page draws (a scan's are tens of millions; a
        logo's a few thousand). Every render decodes them again, so a page with many is
        best rendered once and reduced; a vector page renders at a low DPI in milliseconds."""
        return self.drawing_set._image_pixels(self.index)

    def scan_dpi(self) -> float | None:
        """The resolution (pixels per inch of the sheet) of the largest image the page
        draws, or None when its images total at most :data:`SCAN_MIN_IMAGE_PX` (a vector
        sheet with a logo). A scanned set is often a mosaic: a whole-sheet image and
        patches at other resolutions pasted over it (edits, re-scanned details). The sheet's
        resolution is the whole-sheet image's, not an average over the patches (M201 of the
        examples: 150 DPI, where the average is 193)."""
        if self.image_pixels() <= SCAN_MIN_IMAGE_PX:
            return None
        return self.drawing_set._main_image_dpi(self.index)

    def line_weights(self) -> dict[float, int]:
        """How many stroked lines (path objects) the page draws at each width (points on
        the sheet, to 0.001 pt; 0 is the thinnest a device draws), inside form XObjects
        too: a vector sheet's pen table, as :mod:`.line_weights` compares it. Empty for an
        image."""
        return self.drawing_set._line_weights(self.index)

    def object_count(self) -> int:
        """How many objects the page draws (paths, texts, images, forms and what the forms
        hold; at most :data:`PAGE_OBJECTS_MAX`): PDFium's work for each render of
        the page grows with it, whatever the resolution. 0 for an image."""
        return self.drawing_set._object_count(self.index)

    def light_colours(self) -> bool:
        """Does the page draw in colours that a luminance grayscale would lose (yellow,
        cyan, light green: :func:`has_light_colours`)? Such a page is rendered as ink, its
        darkest channel; others in grayscale, which is faster (about 3× on a 48×36 in sheet
        at 300 DPI). Checked once per page on a small colour render."""
        return self.drawing_set._light_colours(self.index)

    def render(self, dpi: float | None = None, *, max_pixels: int | None = None,
               region: Sequence[float] | None = None, as_ink: bool | None = None,
               smooth: bool = True) -> np.ndarray:
        """A grayscale raster of the page, or of ``region`` (x0, y0, x1, y1 in PDF points,
        origin top-left, y down).

        ``as_ink``: render in colour and keep each pixel's darkest channel (True), or in
        luminance grayscale (False); by default as :meth:`light_colours` decides. A pair of
        sheets is compared with both rendered the same way.

        ``smooth=False`` draws a PDF's lines and text without anti-aliasing: each pixel
        takes the colour of what covers it, so a thin line is as dark as its colour whatever
        its width and however it falls on the pixel grid (anti-aliased, a hairline in 50 %
        grey lands at 186-190 of 255 where it straddles two pixels, lighter than ink). What
        the comparison reads as ink then depends on the drawing, not on the grid. Images
        (scans) are smoothed either way.

        ``dpi`` fixes the resolution; ``max_pixels`` caps it (the DPI is lowered so the raster
        fits). With neither, 150 DPI. Returns ``uint8`` H×W on an exact grid: pixel (i, j)
        covers the points from (x0 + j·72/dpi, y0 + i·72/dpi), the raster is the region's
        size in pixels rounded up (a last row or column may reach past it, as paper), and
        with ``max_pixels`` its DPI is ``width_px * 72 / region_width_pt`` to within a pixel.
        Requests beyond :data:`MAX_PAGE_PIXELS` raise :class:`PageTooLargeError` before any
        memory is allocated."""
        x0, y0, x1, y1 = region if region is not None else (0, 0, self.width_pt, self.height_pt)
        x0, y0 = max(0.0, x0), max(0.0, y0)
        x1, y1 = min(self.width_pt, x1), min(self.height_pt, y1)
        if x1 <= x0 or y1 <= y0:
            raise ValueError(f"empty region {region} for a page of {self.size_pt} pt")
        budget = min(max_pixels or MAX_PAGE_PIXELS, MAX_PAGE_PIXELS)
        fit = dpi_for_budget(x1 - x0, y1 - y0, budget)
        if dpi is None:
            dpi = min(150.0, fit) if max_pixels is None else fit
        elif dpi > fit * 1.0001:
            if max_pixels is not None:
                dpi = fit
            else:
                px = (x1 - x0) / 72 * dpi * (y1 - y0) / 72 * dpi
                raise PageTooLargeError(
                    f"a raster at {dpi:g} DPI would be {px / 1e6:.0f} Mpx, beyond the "
                    f"{MAX_PAGE_PIXELS / 1e6:.0f} Mpx budget", path=self.drawing_set.path,
                    page=self.index)
        # Pixel counts round up; step the DPI down until the rounded raster fits the budget.
        while math.ceil((x1 - x0) / 72 * dpi) * math.ceil((y1 - y0) / 72 * dpi) > budget:
            dpi *= 0.998
        if as_ink is None:
            as_ink = self.light_colours()
        return self.drawing_set._render(self.index, dpi, (x0, y0, x1, y1), as_ink, smooth)

    def render_affine(self, matrix: np.ndarray, shape: tuple[int, int], *,
                      as_ink: bool | None = None, smooth: bool = True) -> np.ndarray:
        """The page drawn through ``matrix`` (2×3: this page's points, displayed, origin
        top-left, y down, to pixels of the result) into a ``shape`` (rows, cols) uint8
        raster: in another sheet's frame, turned, scaled and moved, drawn exactly instead of
        resampled from a render. PDF pages only (:meth:`render` and a warp serve images).
        ``as_ink`` and ``smooth`` as in :meth:`render`."""
        if shape[0] * shape[1] > MAX_PAGE_PIXELS:
            raise PageTooLargeError(
                f"a raster of {shape[1]}x{shape[0]} px is beyond the "
                f"{MAX_PAGE_PIXELS / 1e6:.0f} Mpx budget", path=self.drawing_set.path,
                page=self.index)
        if as_ink is None:
            as_ink = self.light_colours()
        return self.drawing_set._render_affine(self.index, np.asarray(matrix, float),
                                               (int(shape[0]), int(shape[1])), as_ink, smooth)

    def __repr__(self) -> str:
        w, h = self.size_in
        return f"<Page {self.index} {w:.1f}x{h:.1f} in rot={self.rotation}>"


class DrawingSet:
    """An open drawing set. Use as a context manager; pages are read on demand.

    >>> with open_set("examples/drawings/transatomic/M101.pdf") as s:
    ...     page = s.page(0)
    """

    kind: str

    def __init__(self, path: str):
        self.path = path

    # -- the public interface -------------------------------------------------------------
    def __len__(self) -> int:
        raise NotImplementedError

    def page(self, index: int) -> Page:
        """Page ``index`` (0-based). Raises :class:`PageTooLargeError` for a page beyond the
        pixel budget at :data:`REFERENCE_DPI`."""
        if not 0 <= index < len(self):
            raise IndexError(f"page {index} out of range (the set has {len(self)} pages)")
        w, h, rot = self._page_geometry(index)
        px = (w / 72 * REFERENCE_DPI) * (h / 72 * REFERENCE_DPI)
        if px > MAX_PAGE_PIXELS:
            raise PageTooLargeError(
                f"the page is {w / 72:.0f}x{h / 72:.0f} in ({px / 1e6:.0f} Mpx at "
                f"{REFERENCE_DPI} DPI), beyond the {MAX_PAGE_PIXELS / 1e6:.0f} Mpx budget",
                path=self.path, page=index)
        return Page(self, index, w, h, rot)

    def __iter__(self) -> Iterator[Page]:
        for i in range(len(self)):
            yield self.page(i)

    def close(self) -> None:
        pass

    def __enter__(self) -> "DrawingSet":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- for subclasses ---------------------------------------------------------------------
    def _page_geometry(self, index: int) -> tuple[float, float, int]:
        raise NotImplementedError

    def _words(self, index: int) -> list[Word]:
        return []

    def _image_pixels(self, index: int) -> int:
        raise NotImplementedError

    def _light_colours(self, index: int) -> bool:
        return False

    def _line_weights(self, index: int) -> dict[float, int]:
        return {}

    def _object_count(self, index: int) -> int:
        return 0

    def _main_image_dpi(self, index: int) -> float | None:
        raise NotImplementedError

    def _render(self, index: int, dpi: float, region: tuple[float, float, float, float],
                as_ink: bool, smooth: bool = True) -> np.ndarray:
        raise NotImplementedError

    def _render_affine(self, index: int, matrix: np.ndarray, shape: tuple[int, int],
                       as_ink: bool, smooth: bool = True) -> np.ndarray:
        raise NotImplementedError(f"{self.kind} pages are not drawn through a matrix")


class PdfSet(DrawingSet):
    kind = "pdf"

    def __init__(self, path: str):
        super().__init__(path)
        import pypdfium2 as pdfium

        self._pdfium = pdfium
        try:
            self._doc = pdfium.PdfDocument(path)
        except pdfium.PdfiumError as exc:
            code = getattr(exc, "err_code", None)
            if code == 4:  # FPDF_ERR_PASSWORD
                raise EncryptedPdfError(
                    "the PDF is password-protected; export an unprotected copy and try again",
                    path=path) from None
            if code == 5:  # FPDF_ERR_SECURITY
                raise EncryptedPdfError("the PDF uses an unsupported security handler",
                                        path=path) from None
            if code == 0 and _declares_no_pages(path):
                # PDFium refuses a page tree with no pages, reporting "success".
                raise EmptySetError("the PDF has no pages", path=path) from None
            raise CorruptPdfError(f"the PDF cannot be read ({exc})", path=path) from None
        self._count = len(self._doc)
        if self._count == 0:
            self._doc.close()
            raise EmptySetError("the PDF has no pages", path=path)
        self._image_px: dict[int, int] = {}  # per page, found once
        self._image_dpi: dict[int, float | None] = {}
        self._colour: dict[int, bool] = {}
        self._objects: dict[int, int] = {}  # per page, counted on its walk
        self._strokes: dict[int, tuple] = {}  # per page: its lines (_pdf_stroked_sample)
        self._open = None  # (index, the loaded page): see _page
        self._walked = None  # (index, the open page's objects): see _walk
        self._widths: dict[int, dict[float, float]] = {}  # see with_line_widths

    def __len__(self) -> int:
        return self._count

    def close(self) -> None:
        if self._doc is not None:
            self._release()
            self._doc.close()
            self._doc = None

    def _load(self, index: int):
        try:
            page = self._doc[index]
        except self._pdfium.PdfiumError as exc:
            raise CorruptPdfError(f"the page cannot be read ({exc})", path=self.path,
                                  page=index) from None
        if index in self._widths:  # (the walk is kept, as :meth:`_walk` would keep it)
            walked = list(_pdf_page_objects(page.raw, PAGE_OBJECTS_MAX))
            _set_line_widths(walked, self._widths[index])
            self._walked = (index, walked)
        return page

    def _page(self, index: int):
        """Page ``index``, loaded (parsed) once while it is the page in use: comparing a
        sheet reads it five times (images, colours, two renders, words), and loading a CAD
        sheet parses its whole content, 5-10 ms each time. Only the last page stays open,
        so a 500-page set still streams."""
        if self._open is None or self._open[0] != index:
            self._release()
            self._open = (index, self._load(index))
        return self._open[1]

    def _release(self) -> None:
        self._walked = None  # its objects' handles die with the page
        if self._open is not None:
            self._open[1].close()
            self._open = None

    def _walk(self, index: int) -> list:
        """Every object page ``index`` draws (:func:`_pdf_page_objects`, at most
        :data:`PAGE_OBJECTS_MAX`), walked once while the page is open: its images, line
        weights and object count are all read from one walk (3-5 µs an object: 0.2 s on a
        sheet of 57,000). The handles are valid only while the page stays open."""
        page = self._page(index)
        if self._walked is None or self._walked[0] != index:
            self._walked = (index, list(_pdf_page_objects(page.raw, PAGE_OBJECTS_MAX)))
        return self._walked[1]

    def _page_geometry(self, index: int) -> tuple[float, float, int]:
        page = self._page(index)
        w, h = page.get_size()  # after /Rotate, from the crop box
        return float(w), float(h), int(page.get_rotation())

    def _words(self, index: int) -> list[Word]:
        return _pdf_words(self._page(index))

    def _main_image_dpi(self, index: int) -> float | None:
        if index not in self._image_dpi:
            self._image_dpi[index] = _pdf_main_image_dpi(self._walk(index))
        return self._image_dpi[index]

    def _image_pixels(self, index: int) -> int:
        if index not in self._image_px:
            self._image_px[index] = sum(w * h for _o, w, h in _pdf_images(self._walk(index)))
        return self._image_px[index]

    def _line_weights(self, index: int) -> dict[float, int]:
        return _line_weight_counts(*self._stroked(index)[::2])

    def _stroked(self, index: int) -> tuple[np.ndarray, np.ndarray, int]:
        """Page ``index``'s stroked lines (:func:`_pdf_stroked_sample`), read once: its
        line weights and the lengths :meth:`_fine_pieces` tests come from one walk."""
        if index not in self._strokes:
            self._strokes[index] = _pdf_stroked_sample(self._walk(index))
        return self._strokes[index]

    def _object_count(self, index: int) -> int:
        if index not in self._objects:
            self._objects[index] = len(self._walk(index))
        return self._objects[index]

    def _light_colours(self, index: int) -> bool:
        if index not in self._colour:
            if self._image_pixels(index) > COLOUR_CHECK_MAX_IMAGE_PX:
                self._colour[index] = False  # a scan: its image would be decoded to look
            else:
                small = self._page(index).render(scale=COLOUR_CHECK_DPI / 72.0,
                                                 bitmap_maker=_bitmap_in_numpy).to_numpy()
                self._colour[index] = has_light_colours(small)
        return self._colour[index]

    def _render(self, index: int, dpi: float, region: tuple[float, float, float, float],
                as_ink: bool, smooth: bool = True) -> np.ndarray:
        scale = dpi / 72.0
        return self._render_affine(index, grid_matrix(scale, region[0], region[1]),
                                   raster_shape(region, scale), as_ink, smooth)

    def _render_affine(self, index: int, matrix: np.ndarray, shape: tuple[int, int],
                       as_ink: bool, smooth: bool = True) -> np.ndarray:
        page = self._page(index)

        def drawn(anti_aliased: bool) -> np.ndarray:
            if as_ink:
                return _render_ink(page, matrix, shape, anti_aliased)
            out = np.empty(shape, np.uint8)
            _render_into(page, out, matrix, anti_aliased, gray=True)
            return out

        out = drawn(smooth)
        if not smooth and self._fine_pieces(index, linear_scale(matrix)):
            _add_fine_pieces(out, drawn(True))
        return out

    def _fine_pieces(self, index: int, px_per_pt: float) -> bool:
        """Does page ``index`` draw curves in pieces shorter than :data:`FINE_PIECE_PX`
        at ``px_per_pt`` (:data:`FINE_SHARE` of its stroked paths)?"""
        sizes = self._stroked(index)[1]
        return bool(len(sizes)) and float(
            (sizes * px_per_pt < FINE_PIECE_PX).mean()) >= FINE_SHARE


def raster_shape(region: tuple[float, float, float, float], scale: float) -> tuple[int, int]:
    """Rows and columns of a raster of ``region`` (points) at ``scale`` px per point: whole
    pixels, rounded up (a last row or column may reach past the region)."""
    x0, y0, x1, y1 = region
    # a hair under a whole number of pixels (the float error of x·dpi/72) is that number
    return (max(1, math.ceil((y1 - y0) * scale - 1e-6)),
            max(1, math.ceil((x1 - x0) * scale - 1e-6)))


def grid_matrix(scale: float, x0: float, y0: float) -> np.ndarray:
    """The 2×3 matrix taking the displayed page's points (origin top-left, y down) to the
    pixels of a raster at ``scale`` px per point whose pixel (0, 0) starts at (x0, y0)."""
    return np.array([[scale, 0.0, -x0 * scale], [0.0, scale, -y0 * scale]])


def _render_into(page, out: np.ndarray, matrix: np.ndarray, smooth: bool, gray: bool) -> None:
    """Draw ``page`` into ``out`` (H×W uint8 gray, or H×W×4 BGRx) on white through
    ``matrix`` (2×3: the displayed page's points, origin top-left, y down, to pixels of
    ``out``). With :func:`grid_matrix`, pixel (i, j) covers the page's points x0 + j/scale ..
    x0 + (j+1)/scale across and y0 + i/scale .. down: an exact grid at ``scale`` px per point.
    Any affine matrix draws the page turned, scaled and moved as exactly (another sheet's
    frame: :meth:`Page.render_affine`).

    pypdfium2's ``render`` (and ``FPDF_RenderPageBitmap``) stretch the page to a whole
    number of pixels and crop by whole pixels: up to a pixel off at the far edge of the
    sheet (0.5 pt at 150 DPI), in a different way at each DPI, which put a vector sheet and
    a scan of it 0.6 pt out of register. A matrix (``FPDF_RenderPageBitmapWithMatrix``)
    places the page exactly; it applies the page's /Rotate and crop box as the other calls
    do (checked on rotated and cropped pages)."""
    import pypdfium2.raw as pdfium_c

    h, w = out.shape[:2]
    fmt = pdfium_c.FPDFBitmap_Gray if gray else pdfium_c.FPDFBitmap_BGRx
    bitmap = pdfium_c.FPDFBitmap_CreateEx(w, h, fmt, out.ctypes.data_as(ctypes.c_void_p),
                                          out.strides[0])
    flags = pdfium_c.FPDF_ANNOT | (pdfium_c.FPDF_GRAYSCALE if gray else 0)
    if not smooth:
        flags |= pdfium_c.FPDF_RENDER_NO_SMOOTHPATH | pdfium_c.FPDF_RENDER_NO_SMOOTHTEXT
    try:
        pdfium_c.FPDFBitmap_FillRect(bitmap, 0, 0, w, h, 0xFFFFFFFF)
        (a, c, e), (b, d, f) = np.asarray(matrix, float).tolist()  # x' = a x + c y + e
        clip = pdfium_c.FS_RECTF(0, 0, w, h)
        pdfium_c.FPDF_RenderPageBitmapWithMatrix(bitmap, page.raw,
                                                 pdfium_c.FS_MATRIX(a, b, c, d, e, f), clip, flags)
    finally:
        pdfium_c.FPDFBitmap_Destroy(bitmap)


def _add_fine_pieces(out: np.ndarray, soft: np.ndarray) -> None:
    """Add to ``out`` (a page drawn without anti-aliasing, H×W uint8) the ink only
    ``soft`` (the same drawn anti-aliased) shows, away from the ink it has: drawn without
    anti-aliasing, a piece of line shorter than a pixel sets no pixel, and an arc drawn as
    hundreds of such pieces (a CAD export's) vanished; a line's anti-aliased fringe beside
    its own pixels is left out, so lines keep their width (:data:`FINE_INK_LEVEL`)."""
    import cv2

    drawn = cv2.dilate((out < FINE_INK_LEVEL).view(np.uint8), np.ones((3, 3), np.uint8))
    np.minimum(out, soft, out=out, where=(soft < FINE_INK_LEVEL) & (drawn == 0))


def _bitmap_in_numpy(width, height, format, rev_byteorder=False):
    """A pypdfium2 bitmap (rows packed) drawn into memory from ``np.empty``. pypdfium2's
    default buffer is a ctypes array, which is zeroed before PDFium paints it white: on a
    48×36 in sheet at 300 DPI that zeroing made rendering about 40 % slower."""
    import ctypes

    import pypdfium2 as pdfium
    import pypdfium2.internal as pdfium_i

    size = width * height * pdfium_i.BitmapTypeToNChannels[format]
    memory = np.empty(size, np.uint8)
    buffer = (ctypes.c_ubyte * size).from_buffer(memory)  # keeps ``memory`` alive
    return pdfium.PdfBitmap.new_native(width, height, format, rev_byteorder, buffer=buffer,
                                       stride=size // height)


#: DPI of the colour render that decides whether a page needs ink rendering: PDFium draws a
#: line at least about a pixel wide, so the thinnest coloured line shows even here.
COLOUR_CHECK_DPI = 25.0
#: Pages drawing more image pixels than this (scans) are not checked for colour: the check
#: would decode their images once more, and a scan is read by its luminance.
COLOUR_CHECK_MAX_IMAGE_PX = 1_000_000
#: A pixel is in a light colour when luminance keeps less than half of its darkest
#: channel's ink (:func:`has_light_colours`): yellow keeps 11 %, cyan 30 %, green 41 %,
#: orange 40 % (all lost or faint in a grayscale render); red 70 %, blue 89 %, black and
#: greys all of it. The share does not change when a colour is anti-aliased with white
#: paper, so thin lines count like thick ones. Such pixels count where the darkest channel
#: shows at least this much ink (0-255) ...
LIGHT_COLOUR_MIN_INK = 24
#: ... and the page is rendered as ink from this many such pixels at :data:`COLOUR_CHECK_DPI`
#: (about a third of an inch of line).
LIGHT_COLOUR_MIN_PX = 8
#: Pixels of colour :func:`_render_ink` holds, in two bands (4 bytes a pixel): PDFium walks
#: the page's content again for each band, so bands are large.
COLOUR_BAND_PX = 32_000_000


def has_light_colours(bgr: np.ndarray) -> bool:
    """Does a colour raster (H×W×3 or 4, BGR order) hold at least
    :data:`LIGHT_COLOUR_MIN_PX` pixels whose colour a luminance grayscale would mostly lose
    (it keeps less than half of the darkest channel's ink)?"""
    import cv2

    darkest_ink = cv2.subtract(255, darkest_channel(bgr))
    lum = cv2.cvtColor(bgr, cv2.COLOR_BGRA2GRAY if bgr.shape[2] == 4 else cv2.COLOR_BGR2GRAY)
    lum_ink = cv2.subtract(255, lum)
    # luminance keeps less than half of the ink: 2 lum_ink < darkest_ink (uint8 sums
    # saturate at 255, where the test is false either way)
    light = cv2.compare(cv2.add(lum_ink, lum_ink), darkest_ink, cv2.CMP_LT)
    light = cv2.bitwise_and(light, cv2.compare(darkest_ink, LIGHT_COLOUR_MIN_INK, cv2.CMP_GE))
    return cv2.countNonZero(light) >= LIGHT_COLOUR_MIN_PX


def _render_ink(page, matrix: np.ndarray, shape: tuple[int, int], smooth: bool = True
                ) -> np.ndarray:
    """The page drawn in colour through ``matrix`` (as :func:`_render_into`) into a raster of
    ``shape``, each pixel its darkest channel (uint8 H×W): on the same pixels as the
    grayscale render. Rendered in bands of at most :data:`COLOUR_BAND_PX` pixels, so the
    colour raster never exists whole; a band's darkest channel is taken on a thread while
    PDFium renders the next one (both release the GIL)."""
    from concurrent.futures import ThreadPoolExecutor

    height, width = shape
    out = np.empty((height, width), np.uint8)
    rows = max(1, min(height, COLOUR_BAND_PX // 2 // width))
    # BGRx, in turn; the second only when there is a second band (a strip or a crop, one)
    bands: list = [None, None]
    taking: list = [None, None]  # the conversion reading each band
    with ThreadPoolExecutor(max_workers=1) as converter:
        for i, r0 in enumerate(range(0, height, rows)):
            n = min(rows, height - r0)
            if bands[i % 2] is None:
                bands[i % 2] = np.empty((rows, width, 4), np.uint8)
            band = bands[i % 2]
            if taking[i % 2] is not None:
                taking[i % 2].result()  # the band is free again
            # the band's rows: the raster's pixels, moved up by r0
            in_band = np.array(matrix, float)
            in_band[1, 2] -= r0
            _render_into(page, band[:n], in_band, smooth, gray=False)
            taking[i % 2] = converter.submit(darkest_channel, band[:n], out[r0:r0 + n])
        for f in taking:
            if f is not None:
                f.result()
    return out


def darkest_channel(colour: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Each pixel's darkest colour channel (H×W uint8, into ``out`` when given) of a colour
    raster (H×W×3, or ×4 whose fourth channel, BGRx padding or alpha, is ignored; any order
    of the three). Taken :data:`_INK_ROWS` rows at a time so the planes stay in the CPU
    cache."""
    import cv2

    if out is None:
        out = np.empty(colour.shape[:2], np.uint8)
    for s0 in range(0, colour.shape[0], _INK_ROWS):
        planes = cv2.split(colour[s0:s0 + _INK_ROWS])
        cv2.min(cv2.min(planes[0], planes[1]), planes[2], dst=out[s0:s0 + _INK_ROWS])
    return out


_INK_ROWS = 32


#: At most this many of a page's objects are walked (for its images, line weights and
#: object count): a CAD sheet can hold hundreds of thousands of paths.
PAGE_OBJECTS_MAX = 200_000
#: A page whose images total more pixels than this is a scan (see :meth:`Page.scan_dpi`).
SCAN_MIN_IMAGE_PX = 1_000_000


def _pdf_page_objects(raw_page, max_objects: int):
    """The objects a PDF page draws, looking inside form XObjects, through raw PDFium calls
    (a Python wrapper per object costs 12 µs): (object, its type, the scale of the forms it
    lies in: the product of their matrices' √|det|). Stops after ``max_objects`` objects
    (counted a container at a time: the page, then each form it holds)."""
    import pypdfium2.raw as pdfium_c

    seen = 0
    stack = [(raw_page, pdfium_c.FPDFPage_CountObjects(raw_page), pdfium_c.FPDFPage_GetObject,
              1.0)]
    while stack and seen < max_objects:
        parent, count, get, scale = stack.pop()
        for i in range(count):
            obj = get(parent, i)
            kind = pdfium_c.FPDFPageObj_GetType(obj)
            yield obj, kind, scale
            if kind == pdfium_c.FPDF_PAGEOBJ_FORM:
                stack.append((obj, pdfium_c.FPDFFormObj_CountObjects(obj),
                              pdfium_c.FPDFFormObj_GetObject, scale * _matrix_scale(obj)))
        seen += count


def _matrix_scale(raw_obj) -> float:
    """How a PDF page object's own matrix scales lengths: √|det|."""
    import pypdfium2.raw as pdfium_c

    m = pdfium_c.FS_MATRIX()
    pdfium_c.FPDFPageObj_GetMatrix(raw_obj, m)
    return math.sqrt(abs(m.a * m.d - m.b * m.c))


def stroke_width(raw_obj) -> float | None:
    """The line width of a PDF page object that strokes a path (in its own units, before its
    matrix), or None for an object that strokes nothing."""
    import ctypes

    import pypdfium2.raw as pdfium_c

    width, fill, stroke = ctypes.c_float(), ctypes.c_int(), ctypes.c_int()
    if (pdfium_c.FPDFPageObj_GetType(raw_obj) == pdfium_c.FPDF_PAGEOBJ_PATH
            and pdfium_c.FPDFPath_GetDrawMode(raw_obj, fill, stroke) and stroke.value
            and pdfium_c.FPDFPageObj_GetStrokeWidth(raw_obj, width)):
        return width.value
    return None


def with_line_widths(page: Page, widths: dict[float, float]) -> Page:
    """``page`` of a PDF opened once more, in a set of its own, with each stroked line drawn
    at the width ``widths`` gives for its own (both in points on the sheet, as
    :meth:`Page.line_weights` counts them; a width not listed takes the ratio of the listed
    width nearest it): the sheet as other pens would plot it (:func:`.line_weights.pen_widths`).

    The lines are changed in PDFium's copy of the page in memory, which is what it draws;
    the file and ``page`` itself are untouched, so the sheet can still be shown as it is.
    Close the new set when done (``.drawing_set.close()``)."""
    if not isinstance(page.drawing_set, PdfSet):
        raise TypeError("only a PDF page's lines can be drawn at other widths")
    other = PdfSet(page.drawing_set.path)
    other._widths[page.index] = dict(widths)
    return other.page(page.index)


def _set_line_widths(walked: list, widths: dict[float, float]) -> None:
    """Draw every stroked line among a loaded PDF page's objects (:meth:`PdfSet._walk`:
    inside form XObjects too) at the width ``widths`` maps its width on the sheet to (see
    :func:`with_line_widths`)."""
    import pypdfium2.raw as pdfium_c

    listed = sorted(w for w in widths if w > 0)
    for obj, width, form_scale, own_scale in _stroked_paths(walked):
        to_sheet = form_scale * own_scale
        on_sheet = round(width * to_sheet, 3)
        if on_sheet in widths:
            new = widths[on_sheet]
        elif on_sheet > 0 and listed:  # not counted (a dense sheet's sample): the nearest
            near = min(listed, key=lambda w: abs(math.log(w / on_sheet)))
            new = on_sheet * widths[near] / near
        else:
            continue
        if to_sheet > 0:
            pdfium_c.FPDFPageObj_SetStrokeWidth(obj, ctypes.c_float(new / to_sheet))


def _pdf_images(walked: list):
    """The images among a page's objects (:meth:`PdfSet._walk`): (object, width px,
    height px)."""
    import pypdfium2.raw as pdfium_c

    w, h = ctypes.c_uint(), ctypes.c_uint()
    for obj, kind, _scale in walked:
        if (kind == pdfium_c.FPDF_PAGEOBJ_IMAGE
                and pdfium_c.FPDFImageObj_GetImagePixelSize(obj, w, h)):
            yield obj, w.value, h.value


#: At most this many of a page's path objects have their width read; a denser sheet's
#: histogram is estimated from a sample of its paths (drawn at random with a fixed seed, so
#: the same sheet gives the same figures: every k-th path would alias with a drawing that
#: repeats a block). Reading a width costs about 10 µs of PDFium calls, on the thread every
#: render waits for: 60,000 paths took 0.42 s a sheet. A share :mod:`.line_weights` compares
#: (a pen table kept or not: half the lines) is off by 0.7 % (one standard error) at most.
LINE_WEIGHT_SAMPLE = 5_000


def _line_weight_counts(widths: np.ndarray, total: int) -> dict[float, int]:
    """Stroked path objects by width on the sheet (points, to 0.001): ``widths`` those of a
    sample (:func:`_pdf_stroked_sample`) of a page's ``total`` paths. Counts are estimates
    past :data:`LINE_WEIGHT_SAMPLE` paths. See :meth:`Page.line_weights`."""
    sampled: dict[float, int] = {}
    for w in widths.tolist():
        sampled[w] = sampled.get(w, 0) + 1
    if total <= LINE_WEIGHT_SAMPLE:
        return sampled
    return {w: round(n * total / LINE_WEIGHT_SAMPLE) for w, n in sampled.items()}


#: A page draws curves in pieces when at least this share of its stroked paths (a sample
#: of at most :data:`LINE_WEIGHT_SAMPLE`) are each shorter than :data:`FINE_PIECE_PX` at the
#: resolution drawn: drawn without anti-aliasing, such a piece sets hardly a pixel (an arc
#: of 0.25 pt pieces at 150 DPI: 12 pixels of the 149 drawn anti-aliased). The example
#: DXFs' arcs are hundreds of separate lines 0.1-0.5 pt long, 35 % of a plot's paths; 10 %
#: of the example plans' PDF's paths are shorter than 0.72 pt (1.5 px at 150 DPI).
FINE_SHARE = 0.10
FINE_PIECE_PX = 1.5
#: A pixel only the anti-aliased drawing of such a page shows darker than this is ink it
#: adds (the overlay's ink level, :data:`.overlay.INK_THRESHOLD`).
FINE_INK_LEVEL = 160


def _pdf_stroked_sample(walked: list) -> tuple[np.ndarray, np.ndarray, int]:
    """A PDF page's stroked path objects (its objects, :meth:`PdfSet._walk`: inside form
    XObjects too; a sample of :data:`LINE_WEIGHT_SAMPLE`, :func:`_sampled_paths`): each
    one's width on the sheet (points, to 0.001; scaled by its object's matrix and its
    forms'), the lengths of those PDFium gives a box for (points on the sheet: the box's
    larger side, less the line width), and how many paths the page has."""
    import ctypes

    import pypdfium2.raw as pdfium_c

    paths, total = _sampled_paths(walked)
    box = [ctypes.c_float() for _ in range(4)]
    widths, sizes = [], []
    for obj, width, form_scale, own_scale in _stroked_paths(paths):
        widths.append(round(width * (form_scale * own_scale), 3))
        if pdfium_c.FPDFPageObj_GetBounds(obj, *box):
            # (bounds in the object's container, its own matrix applied, grown by the line
            # width each way; a form's scale takes them to the sheet)
            size = (max(box[2].value - box[0].value, box[3].value - box[1].value)
                    - 2 * width * own_scale)
            sizes.append(size * form_scale)
    return np.array(widths, float), np.array(sizes, float), total


def _sampled_paths(walked: list) -> tuple[list, int]:
    """The path objects among a page's objects (:meth:`PdfSet._walk`), at most
    :data:`LINE_WEIGHT_SAMPLE` of them (a sample drawn with a fixed seed, in page order),
    and how many there are."""
    import pypdfium2.raw as pdfium_c

    paths = [p for p in walked if p[1] == pdfium_c.FPDF_PAGEOBJ_PATH]
    total = len(paths)
    if total > LINE_WEIGHT_SAMPLE:
        picked = np.random.default_rng(0).choice(total, LINE_WEIGHT_SAMPLE, replace=False)
        paths = [paths[i] for i in np.sort(picked)]
    return paths, total


def _stroked_paths(walked):
    """The paths that stroke a line among a page's objects (:meth:`PdfSet._walk`): (object,
    its line width in its own units, its forms' scale, its own matrix's scale). A line's
    width on the sheet is the product of the three, which :meth:`Page.line_weights` counts
    and :func:`with_line_widths` sets by."""
    import pypdfium2.raw as pdfium_c

    for obj, kind, scale in walked:
        if kind == pdfium_c.FPDF_PAGEOBJ_PATH:
            width = stroke_width(obj)
            if width is not None:
                yield obj, width, scale, _matrix_scale(obj)


def _pdf_main_image_dpi(walked: list) -> float | None:
    """The resolution of the largest image (by pixels) a PDF page draws: its pixels over
    the area it is placed on (square inches), whatever it is turned by. None without
    images. ``walked``: the page's objects (:meth:`PdfSet._walk`)."""
    import ctypes

    import pypdfium2.raw as pdfium_c

    best, dpi = 0, None
    box = [ctypes.c_float() for _ in range(4)]
    for obj, w, h in _pdf_images(walked):
        if w * h > best and pdfium_c.FPDFPageObj_GetBounds(obj, *box):
            area_in2 = (box[2].value - box[0].value) / 72.0 * (box[3].value - box[1].value) / 72.0
            if area_in2 > 0:
                best, dpi = w * h, math.sqrt(w * h / area_in2)
    return dpi


def _declares_no_pages(path: str) -> bool:
    """Does this (unloadable) PDF have a page tree with /Count 0 and no page objects?"""
    import re

    with open(path, "rb") as fh:
        data = fh.read(64 * 1024 * 1024)
    return (re.search(rb"/Type\s*/Pages\b", data) is not None
            and re.search(rb"/Count\s+0\b", data) is not None
            and re.search(rb"/Type\s*/Page(?![s\w])", data) is None)


def _pdf_words(page) -> list[Word]:
    """Words of a pypdfium2 page with boxes in displayed-page points (top-left, y down)."""
    import pypdfium2.raw as pdfium_c

    textpage = page.get_textpage()
    try:
        n = textpage.count_chars()
        if n <= 0:
            return []
        to_display = _page_to_display_matrix(page)
        # raw calls with one reused box: a dense sheet has 100,000 characters, and the
        # wrapper's get_charbox made a box per call (twice the time)
        raw, rect = textpage.raw, pdfium_c.FS_RECTF()
        chars: list = []
        for i in range(n):
            code = pdfium_c.FPDFText_GetUnicode(raw, i)
            ch = chr(code) if 0 < code < 0x110000 else ""
            if (not ch or ch.isspace() or ch in "\x00\x02\ufffe\uffff"
                    or not pdfium_c.FPDFText_GetLooseCharBox(raw, i, rect)):
                # PDFium's own break between two text objects: see _group_words
                chars.append(False if ch in "\r\n " and pdfium_c.FPDFText_IsGenerated(raw, i)
                             == 1 else None)
                continue
            chars.append((ch, rect.left, rect.bottom, rect.right, rect.top,
                          _quarter_turns(pdfium_c.FPDFText_GetCharAngle(raw, i))))
        return _group_words(chars, to_display)
    finally:
        textpage.close()


def _page_to_display_matrix(page) -> np.ndarray:
    """2×3 matrix from PDF user space to displayed-page points (top-left, y down), asked of
    PDFium itself so that /Rotate and the crop box origin are honoured exactly."""
    import pypdfium2.raw as pdfium_c

    w, h = page.get_size()
    scale = 64.0  # FPDF_PageToDevice returns integers; work on a 64x device and divide.
    dev_w, dev_h = int(round(w * scale)), int(round(h * scale))
    dx, dy = ctypes.c_int(), ctypes.c_int()
    pts = [(0.0, 0.0), (1000.0, 0.0), (0.0, 1000.0)]
    crop = page.get_cropbox()
    src, dst = [], []
    for px, py in pts:
        px, py = px + crop[0], py + crop[1]
        pdfium_c.FPDF_PageToDevice(page.raw, 0, 0, dev_w, dev_h, 0, px, py,
                                   ctypes.byref(dx), ctypes.byref(dy))
        src.append((px, py, 1.0))
        dst.append((dx.value / scale, dy.value / scale))
    m, *_ = np.linalg.lstsq(np.array(src), np.array(dst), rcond=None)
    return m.T  # 2x3


def _quarter_turns(angle: float) -> int:
    """The direction a character runs in PDF user space (y up), from PDFium's angle (radians
    clockwise from the x axis, as on a displayed page; -1 when unknown): 0 left to right,
    1 upwards, 2 right to left (upside down), 3 downwards. A slightly rotated scan's text
    layer runs at 0."""
    if angle < 0:
        return 0
    return -int(round(angle / (math.pi / 2))) % 4


def reading_frame(left, bottom, right, top, turns):
    """Character boxes (PDF user space, y up) turned by -90° × ``turns`` each, into the
    frame their text reads left to right in: (left, bottom, right, top) there."""
    frames = [(left, bottom, right, top), (bottom, -right, top, -left),
              (-right, -top, -left, -bottom), (-top, left, -bottom, right)]
    return [np.choose(turns, [frame[k] for frame in frames]) for k in range(4)]


def _group_words(chars: list, m: np.ndarray) -> list[Word]:
    """Join consecutive characters into words, splitting at spaces, line breaks and gaps.

    ``chars`` holds (ch, left, bottom, right, top, quarter turns) in PDF user space (y up),
    None for a separator, or False for a break PDFium put between two text objects
    itself. Grouping happens in the frame each character reads left to right in
    (:func:`reading_frame`: a CAD sheet's vertical dimension "1,820" runs upwards, and
    compared across the page's x axis each of its characters was a word of its own),
    whatever the page's /Rotate; a word also ends where the direction changes. Turned
    text is often set a glyph per text object, and PDFium breaks the line between each
    ("隣地境界線" upwards, on the example plans): there its own breaks end no word, the
    glyphs' places decide. Each word's box is then mapped by ``m`` to displayed-page
    points."""
    # (vectorised: a dense sheet has 100,000 characters, which a loop took 0.2 s over)
    kept = [i for i, c in enumerate(chars) if c]
    if not kept:
        return []
    # separators between one kept character and the next: any, and PDFium's own only
    seps = np.cumsum([c is None for c in chars])[kept]
    breaks = np.cumsum([c is not None and not c for c in chars])[kept]
    real_sep, own_break = np.diff(seps) > 0, np.diff(breaks) > 0
    letters = [chars[i][0] for i in kept]
    left, bottom, right, top = np.array([chars[i][1:5] for i in kept], float).T
    turns = np.array([chars[i][5] for i in kept])
    rl, rb, rr, rt = reading_frame(left, bottom, right, top, turns)
    # a word ends at a separator, or where the next character is off the line or apart:
    # compared with the previous character (not the word's box), which follows a baseline
    # that slopes, as the text layer of a slightly rotated scan does
    hgt = np.maximum(np.maximum(rt[:-1] - rb[:-1], rt[1:] - rb[1:]), 1.0)
    centre = (rb + rt) / 2
    gap = rl[1:] - rr[:-1]
    ends = (real_sep | (own_break & ((turns[1:] == 0) | (turns[:-1] == 0)))
            | (np.abs(centre[1:] - centre[:-1]) > 0.6 * hgt)
            | (gap > 0.6 * hgt) | (gap < -2.0 * hgt) | (np.diff(turns) != 0))
    starts = np.concatenate([[0], np.flatnonzero(ends) + 1])
    texts = ["".join(letters[i:j]) for i, j in zip(starts.tolist(),
                                                   starts[1:].tolist() + [len(letters)])]
    b = np.stack([np.minimum.reduceat(left, starts), np.minimum.reduceat(bottom, starts),
                  np.maximum.reduceat(right, starts), np.maximum.reduceat(top, starts)], axis=1)
    # every word's corners mapped at once (a matrix product per word cost more than the
    # rest of the reading)
    corners = np.stack([b[:, [0, 1]], b[:, [2, 1]], b[:, [0, 3]], b[:, [2, 3]]], axis=1)
    mapped = corners @ m[:, :2].T + m[:, 2]
    lo, hi = mapped.min(axis=1).round(2), mapped.max(axis=1).round(2)
    # (a page's /Rotate turns every word with it: the turns are the user space's)
    rot = _quarter_turns_of(m)
    return [Word(text, (float(x0), float(y0), float(x1), float(y1)), 1.0, (t + rot) % 4)
            for text, (x0, y0), (x1, y1), t in zip(texts, lo.tolist(), hi.tolist(),
                                                   turns[starts].tolist())]


def _quarter_turns_of(m: np.ndarray) -> int:
    """The quarter turns (counter-clockwise, as seen) the matrix ``m`` (user space, y up, to
    displayed-page points, y down) turns text by: 0 for an unrotated page."""
    x, y = float(m[0, 0]), float(m[1, 0])  # where the user space's x axis points, y down
    return int(round(math.atan2(-y, x) / (math.pi / 2))) % 4


class ImageSet(DrawingSet):
    """One raster image (PNG, JPEG, TIFF first frame) as a one-sheet set."""

    def __init__(self, path: str, kind: str):
        super().__init__(path)
        self.kind = kind
        from PIL import Image

        Image.MAX_IMAGE_PIXELS = None  # we apply our own budget below, before decoding
        try:
            with Image.open(path) as im:
                self._px = im.size
                dpi = im.info.get("dpi")
        except Exception as exc:  # noqa: BLE001 - Pillow raises many types for bad files
            raise CorruptPdfError(f"the {kind.upper()} image cannot be read ({exc})",
                                  path=path) from None
        self.dpi = float(dpi[0]) if dpi and dpi[0] and dpi[0] > 1 else float(DEFAULT_IMAGE_DPI)
        if self._px[0] * self._px[1] > MAX_PAGE_PIXELS:
            raise PageTooLargeError(
                f"the image is {self._px[0]}x{self._px[1]} px, beyond the "
                f"{MAX_PAGE_PIXELS / 1e6:.0f} Mpx budget", path=path, page=0)

    def __len__(self) -> int:
        return 1

    def _page_geometry(self, index: int) -> tuple[float, float, int]:
        return self._px[0] * 72.0 / self.dpi, self._px[1] * 72.0 / self.dpi, 0

    def _image_pixels(self, index: int) -> int:
        return self._px[0] * self._px[1]

    def _main_image_dpi(self, index: int) -> float | None:
        return self.dpi

    def _render(self, index: int, dpi: float, region: tuple[float, float, float, float],
                as_ink: bool, smooth: bool = True) -> np.ndarray:
        import cv2
        from PIL import Image

        try:
            with Image.open(self.path) as im:
                if as_ink and im.mode in ("RGB", "RGBA", "CMYK", "P", "YCbCr"):
                    arr = darkest_channel(np.asarray(im.convert("RGB")))
                else:
                    im.draft("L", im.size)
                    arr = np.asarray(im.convert("L"))
        except Exception as exc:  # noqa: BLE001
            raise CorruptPdfError(f"the image cannot be decoded ({exc})", path=self.path,
                                  page=0) from None
        s = self.dpi / 72.0
        x0, y0, x1, y1 = (int(round(v * s)) for v in region)
        arr = arr[y0:y1, x0:x1]
        f = dpi / self.dpi
        if abs(f - 1.0) > 1e-3:
            size = (max(1, int(round(arr.shape[1] * f))), max(1, int(round(arr.shape[0] * f))))
            arr = cv2.resize(arr, size, interpolation=cv2.INTER_AREA if f < 1 else cv2.INTER_LINEAR)
        return np.ascontiguousarray(arr)


def open_set(path: str | os.PathLike) -> DrawingSet:
    """Open a PDF (any page count) or one PNG/JPEG/TIFF image as a drawing set.

    Raises a :class:`~buildtrace.engine.errors.BuildTraceError` subclass with a clear message
    for a missing file, content that is not a PDF or image, an encrypted or corrupt PDF, a PDF
    with no pages, or an image beyond the pixel budget."""
    path = os.fspath(path)
    kind = sniff_kind(path)
    if kind == "pdf":
        return PdfSet(path)
    return ImageSet(path, kind)
