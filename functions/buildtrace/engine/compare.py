"""Comparing one sheet pair: align, overlay in strips, change regions, text changes, summary.

Memory is bounded by the strip, not the sheet: the overlay is made :data:`STRIP_ROWS` rows
at a time (each strip rendered from the PDF, the old sheet's matching region rendered and
warped into it), written to a streaming PNG and a Deep Zoom pyramid, and summarised into
one-cell-per-point change maps from which regions are found.

Everything returned is in PDF points of the new sheet, origin top-left, y down; ``matrix``
maps old-sheet points to new-sheet points.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

import cv2
import numpy as np

from .align import align_rasters
from .drawing_set import Page, Word, raster_shape, with_line_widths
from .geometry import homogeneous, linear_scale, scaling
from .identify import SheetIdentity
from .image_writers import (DeepZoomWriter, PngStreamWriter, maxpool_indices, pack_indices,
                            resize_palette, write_png)
from .line_weights import compared_widths
from .moved_views import find_moved_views, join_view_pieces, words_with_views
from .moves import detect_moves, find_short_moves, join_moved_texts
from .overlay import (DEFAULT_TOLERANCE_PT, INK_THRESHOLD, PALETTE, classify_ink,
                      explained_by_shift)
from .rasters import disk_px, halve
from .regions import (MAP_DPI, MIN_CHANGE_PT2, ChangeRegion, box_centre, box_gap, box_inside,
                      boxes_overlap, find_regions, grow_box, map_cells, overlaps_any,
                      union_box)
from .revision_clouds import cloud_ring, set_clouds_apart, tag_labels
from .small_changes import (NOISY_LEVEL, candidate_pixels, context_px, find_small_changes,
                            level_for, mark_cells, noisy_sigma_pt, tone_curve)
from .stretch import PIECE_PT as STRETCH_PIECE_PT
from .stretch import StretchField
from .summary import grid_cell, sheet_summary
from .text_diff import TextChange, agreement, diff_words, map_words, same_letters, same_words
from .titleblock import find_title_block

#: DPI of the rasters the alignment works on (it reduces further for its coarse step).
ALIGN_DPI = 100.0
#: Overlay rows made at a time.
STRIP_ROWS = 1024
#: Strips compared but not yet written that the comparison may run ahead by (two measured
#: no faster on 2 cores, for about 40 MB more at 300 DPI on a 48 in wide sheet).
STRIPS_IN_FLIGHT = 1
#: The lists of changes a pair's entry in ``report.json`` holds: the design changes, then
#: those listed apart (the title block's, at a scan's paper edge, revision clouds).
CHANGE_GROUPS = ("changes", "title_block_changes", "paper_edge_changes", "revision_clouds")
#: DPI of the old/new crops saved for each change region.
CROP_DPI = 100.0
#: Margin around a change region in its crops (points).
CROP_PAD_PT = 18.0
#: Preview image width (px) for the report page and the PDF.
PREVIEW_PX = 2000
#: Side of a Deep Zoom tile (px). 1024 rather than the usual 256-512: a quarter of the files
#: of 512 (about 230 instead of 880 for a 48×36 in sheet at 300 DPI), which is what cloud
#: storage charges by, and a screen still loads only the few tiles in view.
TILE_PX = 1024
#: Zoomed out, the pyramid keeps each 2×2 block's strongest pixel (a change over ink over
#: paper) on every level of at least this many DPI, as a PDF viewer draws a hairline at
#: least a pixel wide, so a one-pixel change stays full red or green down to a screen's
#: resolution; levels below are averaged, as a zoomed-out drawing should look.
STRONGEST_PIXEL_MIN_DPI = 72.0


def strongest_pixel_levels(dpi: float) -> int:
    """How many levels, from the top of an overlay pyramid at ``dpi``, keep the strongest
    pixel of each block (:data:`STRONGEST_PIXEL_MIN_DPI`): at least the top two."""
    levels = 1
    while dpi / 2 ** levels >= STRONGEST_PIXEL_MIN_DPI:
        levels += 1
    return max(2, levels)


#: Sheets without a text layer: change regions OCR'd at this DPI, at most this many a sheet.
OCR_TEXT_DPI = 200.0
OCR_MAX_REGIONS = 40
#: ... each widened by this much (points) left and right to take in the words it touches,
OCR_CONTEXT_PT = 36.0
#: ... and to at least this height (points), about its middle: a region may hold only the
#: lower strokes of a changed digit, and a box cut through the line of text misreads it.
OCR_MIN_HEIGHT_PT = 18.0
#: A region on text running up or down the sheet is read again along that text, widened
#: across it by at least this much (points) each way: OCR finds a narrower line less surely.
OCR_ACROSS_PT = 12.0
#: A region's raster is looked at twice its size for lines of text to read
#: (:meth:`.ocr.RapidOcrRecognizer.recognize_pair`), not by RapidOCR's own rule (until its
#: shorter side is 736 px: an 18 pt high raster 15 times, 0.3-0.5 s a look, most of a
#: scan's text reading); by that rule again where no line found touches changed ink (a
#: vertical dimension). On two sets of 4 one-digit revisions (64 changed digits), exact
#: before and after: 59 so, 54 by RapidOCR's rule alone (56 at four times); the bench's
#: section took 28-29 s instead of 64-76 s.
OCR_DETECT_SCALE = 2.0
#: Ink of the old and new sheets this close (points; a pixel at :data:`OCR_TEXT_DPI`) is
#: the same ink to the OCR of a change region, and characters made of it are read from
#: both sides at once (:meth:`.ocr.RapidOcrRecognizer.recognize_pair`). A changed digit
#: differs by more: at 1 pt, a 6 turned 9 at 7 pt lay within reach of itself.
OCR_SAME_INK_PT = 0.36
#: Sheets with a text layer may still draw some text as lines: CAD plots SHX fonts
#: (AutoCAD's romans.shx, often its dimensions' style) as strokes, and exploded text as
#: outlines. A change region no word of either layer comes within :data:`DRAWN_TEXT_PAD_PT`
#: of is read by OCR when its changed ink is text-like: pieces (connected, at
#: :data:`OCR_TEXT_DPI`) each at most :data:`GLYPH_MAX_PT` across and high, one at least
#: :data:`GLYPH_MIN_PT` long and :data:`GLYPH_MIN_WIDTH_PT` wide (a digit, not the stub of
#: a line): characters, not a line, an arc or a door. A region of a glyph moved at most
#: :data:`DRAWN_TEXT_SHIFT_PT` (digits of a dimension swapped, "3,640" -> "3,460") is read
#: too: what changed there is the text. Two vector sheets only (a scan's text layer is an
#: OCR reading already). Each region read costs about 0.5 s of OCR: on 8 CAD revisions
#: (text in their layers), 12 of 58 regions were read (the ends of short lines, small
#: symbols), none of them text, and no text change came of them.
DRAWN_TEXT_PAD_PT = 2.0
GLYPH_MAX_PT = 24.0
GLYPH_MIN_PT = 2.5
GLYPH_MIN_WIDTH_PT = 1.5
DRAWN_TEXT_SHIFT_PT = 24.0
#: ... each read in a box at least this tall (points): in the scans' 18 pt
#: (:data:`OCR_MIN_HEIGHT_PT`) the detector cut stroked dimensions at their foot mark
#: ("23'" -> "26'" for 23'-4" -> 26'-4"). 7 pt stroked dimensions, exact before and after
#: on 20 revisions (60 changed): 35 at 30 pt, 32 at 36 pt; at 18 pt none of 36.
DRAWN_TEXT_MIN_HEIGHT_PT = 30.0
#: ... its lines looked for by RapidOCR's own rule (enlarged until the box's shorter side
#: is 736 px, 9 times): on two sets of 4 stroked-text revisions, exact before and after
#: 19/24 so, 15/24 at twice their size (:data:`OCR_DETECT_SCALE`), 15/24 at four times.
DRAWN_TEXT_DETECT_SCALE = None
#: A text read there with one side only (added or removed) is kept when it holds at least
#: this many characters besides spaces: a lone letter read in a symbol's strokes (a
#: window's sash marks, moved in CAD, read as an added "D") is no text.
DRAWN_TEXT_MIN_CHARS = 2


@dataclass
class PairOptions:
    dpi: float = 150.0
    tolerance_pt: float = DEFAULT_TOLERANCE_PT
    ignore: tuple = ()  # boxes in new-sheet points
    tiles: bool = True
    ocr: bool = True  # read the text of change regions by OCR when a sheet has no text layer


#: A page whose raster at the overlay DPI fits this (pixels) is rendered once and kept: a
#: scan's image is decoded once instead of once per strip. 160 Mpx holds a 48×36 in sheet at
#: 300 DPI (156 Mpx); larger pages are rendered strip by strip.
FULL_RASTER_MAX_PX = 160_000_000


#: Two sheets whose alignment scales by more than this (or less than its inverse) are on
#: other paper sizes: the old one is taken at the resolution the scale needs: a raster
#: reduced by area, a vector sheet drawn through the alignment (or, against a scan's
#: stretch, drawn finer) (:func:`old_region_in_new_frame`).
DRAW_FINER = 1.1
#: A raster wanted below this share of a kept raster's DPI is reduced by area averaging
#: first: a warp samples, and at a third of the resolution (a change's crop at 100 DPI from
#: 300) thin lines would drop out.
REDUCE_BELOW = 0.75


class PageImage:
    """A page as a raster source at ``dpi``. A scan is rendered once and kept whole when it
    fits :data:`FULL_RASTER_MAX_PX` (its image is decoded once, not once per strip); a vector
    page (:func:`draws_cheaply`) and a larger scan are rendered region by region on demand:
    PDFium draws a region of a vector sheet in a fraction of a millisecond (it skips what
    lies outside), so the whole raster, 156 Mpx for a 48×36 in sheet at 300 DPI, is never
    held; an old vector sheet a whole-pixel shift away is drawn straight into the new one's
    frame (:func:`old_region_in_new_frame`). ``as_ink``:
    rendered as ink (light colours kept dark, see :meth:`.Page.light_colours`) or in
    grayscale; the two sheets of a pair are rendered the same way. Lines and text are drawn
    without anti-aliasing (``smooth=False``): a thin grey line keeps its grey, so whether it
    is ink does not depend on how it falls on the pixel grid. ``smooth=True`` draws them
    anti-aliased, as a scanner sees them (:func:`_as_checked`)."""

    def __init__(self, page: Page, dpi: float, as_ink: bool = False, smooth: bool = False):
        self.page, self.dpi, self.as_ink, self.smooth = page, dpi, as_ink, smooth
        #: rows and columns of the page's raster at ``dpi`` (kept, or drawn by windows)
        self.shape = raster_shape((0.0, 0.0, page.width_pt, page.height_pt), dpi / 72.0)
        self.vector = draws_cheaply(page) and self.shape[0] * self.shape[1] <= FULL_RASTER_MAX_PX
        self.full = (self._render(dpi) if not self.vector
                     and self.shape[0] * self.shape[1] <= FULL_RASTER_MAX_PX else None)
        self._ready: dict = {}  # regions drawn ahead (:meth:`draw_ahead`)

    def draw_ahead(self, region: tuple, shape: tuple[int, int]) -> None:
        """Draw a vector page's ``region`` at ``dpi`` now, for :meth:`region` to hand out
        later (once): the overlay's first strips are drawn while the alignment runs."""
        self._ready[(tuple(region), tuple(shape))] = self.region(region, self.dpi, shape)

    def _render(self, dpi: float, region: tuple | None = None) -> np.ndarray:
        return self.page.render(dpi=dpi, region=region, as_ink=self.as_ink, smooth=self.smooth)

    def window(self, r0: int, c0: int, r1: int, c1: int) -> np.ndarray:
        """Pixels [r0:r1, c0:c1] of the page's raster at ``dpi`` (inside :attr:`shape`): a
        slice of the kept raster, or those pixels drawn (a vector page: the same grid)."""
        if self.full is not None:
            return self.full[r0:r1, c0:c1]
        k = 72.0 / self.dpi
        return _fit(self._render(self.dpi, (c0 * k, r0 * k, c1 * k, r1 * k)), (r1 - r0, c1 - c0))

    def source(self, region: tuple, dpi: float) -> tuple[np.ndarray, float, float, float, float]:
        """A raster holding ``region`` (points, top-left origin) at about ``dpi``: (raster,
        x and y in points of its pixel (0, 0), its DPI across and down)."""
        if self.full is None and not self.vector:
            return self._render(dpi, region), region[0], region[1], dpi, dpi  # an exact grid
        if self.full is not None and dpi >= REDUCE_BELOW * self.dpi:
            return self.full, 0.0, 0.0, self.dpi, self.dpi
        k = self.dpi / 72
        h, w = self.shape
        c0, r0 = max(0, int(region[0] * k) - 1), max(0, int(region[1] * k) - 1)
        c1, r1 = min(w, int(math.ceil(region[2] * k)) + 1), min(h, int(math.ceil(region[3] * k)) + 1)
        if dpi >= REDUCE_BELOW * self.dpi:  # a vector page: the window, at its DPI
            return self.window(r0, c0, r1, c1), c0 / k, r0 / k, self.dpi, self.dpi
        f = dpi / self.dpi
        size = (max(1, round((c1 - c0) * f)), max(1, round((r1 - r0) * f)))
        src = cv2.resize(self.window(r0, c0, r1, c1), size, interpolation=cv2.INTER_AREA)
        return (src, c0 / k, r0 / k, self.dpi * size[0] / (c1 - c0),
                self.dpi * size[1] / (r1 - r0))

    def whole_at(self, dpi: float) -> np.ndarray:
        """The whole page at ``dpi`` (at most its own): its raster (kept, or a vector page's
        drawn whole) reduced by area; a scan too large to keep is rendered at ``dpi``."""
        if self.full is None and not self.vector:
            return self.page.render(dpi=dpi, as_ink=self.as_ink)
        whole = self.full if self.full is not None else self._render(self.dpi)
        f = dpi / self.dpi
        if f >= 1:
            return whole
        return cv2.resize(whole, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)

    def through(self, matrix: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
        """A vector page drawn through ``matrix`` (2×3, its points → pixels of a raster of
        ``shape``), in this image's mode (:meth:`.Page.render_affine`)."""
        return self.page.render_affine(matrix, shape, as_ink=self.as_ink, smooth=self.smooth)

    def region(self, region: tuple, dpi: float, shape: tuple[int, int]) -> np.ndarray:
        """``region`` (points, top-left origin) at ``dpi`` as a raster of ``shape``."""
        if self.full is None and not self.vector:
            return _fit(self._render(dpi, region), shape)
        if dpi == self.dpi and self._ready:
            ready = self._ready.pop((tuple(region), tuple(shape)), None)
            if ready is not None:
                return ready
        fx, fy = region[0] * self.dpi / 72, region[1] * self.dpi / 72
        c, r = round(fx), round(fy)
        if abs(dpi - self.dpi) < 1e-9 and abs(fx - c) < 1e-6 and abs(fy - r) < 1e-6:
            # exact: a slice (or those pixels drawn)
            h, w = self.shape
            r1, c1 = min(h, r + shape[0]), min(w, c + shape[1])
            return _fit(self.window(r, c, max(r, r1), max(c, c1)), shape)
        src, ox, oy, dx, dy = self.source(region, dpi)
        m = np.array([[dx / dpi, 0, (region[0] - ox) * dx / 72],
                      [0, dy / dpi, (region[1] - oy) * dy / 72]])  # region px -> source px
        return cv2.warpAffine(src, m, (shape[1], shape[0]),
                              flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                              borderMode=cv2.BORDER_CONSTANT, borderValue=255)


def old_region_in_new_frame(old: PageImage, matrix: np.ndarray, region_new: tuple,
                            dpi: float, shape: tuple[int, int],
                            stretch: StretchField | None = None) -> np.ndarray:
    """The old sheet, aligned, over ``region_new`` (new-sheet points) at ``dpi``: a raster
    of ``shape`` (rows, cols) whose pixel (0, 0) is the region's top-left corner.

    ``matrix`` maps old-sheet points to new-sheet points; with ``stretch`` (a re-scan's
    paper stretch beyond it) the raster is warped in pieces of about
    :data:`.stretch.PIECE_PT`, each by :meth:`.StretchField.local_matrix` there."""
    x0, y0, x1, y1 = region_new
    to_strip = np.array([[dpi / 72.0, 0, -x0 * dpi / 72.0], [0, dpi / 72.0, -y0 * dpi / 72.0],
                         [0, 0, 1]])
    # the old sheet's resolution the region needs (per inch of the old sheet): a half-size
    # set against a full one wants half the DPI, a raster reduced by area first (warped
    # from the full DPI, a 1 px line fell between the samples: a third of the lines came
    # out added) and a vector sheet drawn through the matrix; at one scale, a re-scan's
    # 1-2 % included, the DPI asked for
    scale = linear_scale(matrix)
    density = dpi * scale if abs(math.log(scale)) > math.log(DRAW_FINER) else dpi
    if old.vector and stretch is None and abs(dpi - old.dpi) < 1e-9:
        # a whole-pixel shift (a CAD re-plot, usually): the old sheet's pixels drawn into
        # the region's, as a kept raster is sliced below. Any other matrix warps them, as
        # a kept raster is warped: drawn through it without anti-aliasing, a line would
        # snap to other pixels than its twin on the new sheet (31 small changes on a
        # re-plot moved 30 pt and 1e-4 off a shift, 12 warped)
        shift = _whole_pixel_shift((to_strip @ homogeneous(matrix) @ scaling(72.0 / dpi))[:2],
                                   shape)
        if shift is not None:
            return old.through(np.array([[dpi / 72.0, 0, shift[0]], [0, dpi / 72.0, shift[1]]]),
                               shape)
    if old.vector and stretch is None and density != dpi:
        # on other paper (a half-size set against a full one): drawn through the matrix,
        # so its thin lines snap to the new sheet's pixel grid as the new sheet's own do.
        # Reduced by area from its own DPI and warped, the frame's triple line (lines half
        # a pixel apart at half size) came out grey at other places than the new sheet's
        # lines: a 385 pt² "removed" sliver, and 1-8 small changes a pair elsewhere
        return old.through((to_strip @ homogeneous(matrix))[:2], shape)
    if old.full is not None and density >= REDUCE_BELOW * old.dpi:
        if stretch is None:
            m = (to_strip @ homogeneous(matrix) @ scaling(72.0 / old.dpi))[:2]
            shift = _whole_pixel_shift(m, shape)
            if shift is not None:
                # a whole-pixel shift (CAD re-plots usually): a slice, no resampling
                return _shifted_slice(old.full, -shift[1], -shift[0], shape)
        src, to_old_pt = old.full, scaling(72.0 / old.dpi)
    else:
        inv = np.linalg.inv(homogeneous(matrix))[:2]
        corners = np.array([[x0, y0, 1], [x1, y0, 1], [x0, y1, 1], [x1, y1, 1]], float) @ inv.T
        # a stretch moves the old sheet by up to its largest value beyond the matrix
        pad = 4.0 + (stretch.max_pt if stretch is not None else 0.0)
        page = old.page
        ox0 = max(0.0, corners[:, 0].min() - pad)
        oy0 = max(0.0, corners[:, 1].min() - pad)
        ox1 = min(page.width_pt, corners[:, 0].max() + pad)
        oy1 = min(page.height_pt, corners[:, 1].max() + pad)
        if ox1 - ox0 < 1 or oy1 - oy0 < 1:
            return np.full(shape, 255, np.uint8)
        box = (ox0, oy0, ox1, oy1)
        if old.vector and density > DRAW_FINER * max(old.dpi, dpi):
            # the scale asks for it finer than it is drawn (a half-size set against a full
            # one): drawn at that resolution, not enlarged (thin lines came out grey,
            # "removed"); at one scale, a sheet drawn coarser on purpose (as a scan saw it,
            # :func:`_as_checked`) is enlarged as the scan is
            src, sx, sy, dx, dy = old._render(density, box), ox0, oy0, density, density
        else:
            src, sx, sy, dx, dy = old.source(box, density)
        # source px -> old pt
        to_old_pt = np.array([[72.0 / dx, 0, sx], [0, 72.0 / dy, sy], [0, 0, 1]])
    if stretch is None:
        m = (to_strip @ homogeneous(matrix) @ to_old_pt)[:2]  # source px -> strip px
        return cv2.warpAffine(src, m, (shape[1], shape[0]), flags=cv2.INTER_LINEAR,
                              borderMode=cv2.BORDER_CONSTANT, borderValue=255)
    out = np.empty(shape, np.uint8)
    piece = max(1, int(round(STRETCH_PIECE_PT / 72.0 * dpi)))
    cells = [(r0, min(shape[0], r0 + piece), c0, min(shape[1], c0 + piece))
             for r0 in range(0, shape[0], piece) for c0 in range(0, shape[1], piece)]
    k = 72.0 / dpi
    boxes = np.array([(x0 + c0 * k, y0 + r0 * k, x0 + c1 * k, y0 + r1 * k)
                      for r0, r1, c0, c1 in cells])
    for (r0, r1, c0, c1), local in zip(cells, stretch.local_matrices(matrix, boxes)):
        to_piece = to_strip.copy()
        to_piece[:2, 2] -= (c0, r0)
        m = (to_piece @ homogeneous(local) @ to_old_pt)[:2]  # source px -> piece px
        out[r0:r1, c0:c1] = cv2.warpAffine(src, m, (c1 - c0, r1 - r0), flags=cv2.INTER_LINEAR,
                                           borderMode=cv2.BORDER_CONSTANT, borderValue=255)
    return out


#: A change on a pair with a scan lying wholly within this (points, 1/12 in) of the new
#: sheet's edge is the paper's edge, not the drawing: a frame line the re-scan cut off or
#: carried onto the sheet, a scanner's shadow. Nothing is drawn there; the field the
#: alignment fits cannot be measured where the new sheet lost the line. Listed apart
#: (``paper_edge_changes``), as title-block changes are.
PAPER_EDGE_PT = 6.0


def at_paper_edge(bbox, page_pt: tuple[float, float]) -> bool:
    """Does ``bbox`` (new-sheet points) lie wholly within :data:`PAPER_EDGE_PT` of an edge
    of a sheet ``page_pt`` (width, height; points) in size?"""
    w, h = page_pt
    return (bbox[2] <= PAPER_EDGE_PT or bbox[0] >= w - PAPER_EDGE_PT
            or bbox[3] <= PAPER_EDGE_PT or bbox[1] >= h - PAPER_EDGE_PT)


#: A transform that moves no pixel of a raster more than this (pixels) from a whole-pixel
#: shift is applied as that shift: resampling by 1/20 px would change nothing visible and
#: costs a pass over the raster (a CAD re-plot aligns to within 1e-6 rotation).
SNAP_PX = 0.05


def _whole_pixel_shift(m: np.ndarray, shape: tuple[int, int]) -> tuple[int, int] | None:
    """(dx, dy) if the 2×3 pixel transform ``m`` is within :data:`SNAP_PX` of that whole-pixel
    shift everywhere on a raster of ``shape`` (rows, cols) it fills, else None."""
    t = np.round(m[:, 2])
    h, w = shape
    corners = np.array([[0, 0], [w, 0], [0, h], [w, h]], float) - t  # source pixels
    moved = corners @ m[:, :2].T + m[:, 2]
    if np.abs(moved - (corners + t)).max() > SNAP_PX:
        return None
    return int(t[0]), int(t[1])


def _shifted_slice(img: np.ndarray, r: int, c: int, shape: tuple[int, int]) -> np.ndarray:
    """``img[r:r+h, c:c+w]`` with white where that window leaves the image (a view, not a
    copy, when the window lies inside)."""
    h, w = shape
    r0, c0 = max(r, 0), max(c, 0)
    r1, c1 = min(r + h, img.shape[0]), min(c + w, img.shape[1])
    if (r0, c0, r1, c1) == (r, c, r + h, c + w):
        return img[r:r + h, c:c + w]
    out = np.full(shape, 255, np.uint8)
    if r1 > r0 and c1 > c0:
        out[r0 - r:r1 - r, c0 - c:c1 - c] = img[r0:r1, c0:c1]
    return out


def _fit(img: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Crop or pad (white) a raster to ``shape``: renders may differ by a pixel of rounding.
    A raster at least as large is cropped by a view, not copied."""
    if img.shape[0] >= shape[0] and img.shape[1] >= shape[1]:
        return img[:shape[0], :shape[1]]
    out = np.full(shape, 255, np.uint8)
    h, w = min(shape[0], img.shape[0]), min(shape[1], img.shape[1])
    out[:h, :w] = img[:h, :w]
    return out


def _add_to_map(change_map: np.ndarray, mask: np.ndarray, row0: int, col0: int, dpi: float
                ) -> None:
    """Add the counts of mask pixels per change-map cell; (``row0``, ``col0``) is the mask's
    top-left pixel in the overlay (new-sheet pixels at ``dpi``)."""
    cells = map_cells(mask, row0, col0, dpi, change_map.shape)
    if cells is None:
        return
    my, mx = cells
    # count within the cells the mask covers, not over the whole map
    y0, x0 = my.min(), mx.min()
    rows, cols = my.max() - y0 + 1, mx.max() - x0 + 1
    counts = np.bincount((my - y0) * cols + (mx - x0), minlength=rows * cols)
    change_map[y0:y0 + rows, x0:x0 + cols] += counts.reshape(rows, cols).astype(np.float32)


def _add_windows(removed_map: np.ndarray, added_map: np.ndarray, windows: list, keep: slice,
                 strip_row0: int, dpi: float) -> None:
    """Add the changed ink of :func:`classify_ink` windows on a strip whose first row is
    overlay row ``strip_row0``, counting only the strip's rows in ``keep``."""
    for r, c, removed, added in windows:
        a, b = max(keep.start, r), min(keep.stop, r + removed.shape[0])
        if b <= a:
            continue
        rows = slice(a - r, b - r)
        _add_to_map(removed_map, removed[rows], strip_row0 + a, c, dpi)
        _add_to_map(added_map, added[rows], strip_row0 + a, c, dpi)


def _add_candidates(candidate_map: np.ndarray, old: np.ndarray, new: np.ndarray, windows: list,
                    keep: slice, strip_row0: int, dpi: float, tone: np.ndarray | None,
                    check_dpi: float | None = None) -> None:
    """Mark the cells holding small-change candidates (:func:`.small_changes.candidate_pixels`)
    of a strip in ``candidate_map``, looking only inside the :func:`classify_ink` windows
    (elsewhere no pixel differs enough to be one) and only at the strip's rows in ``keep``.
    ``tone``: the new sheet's grey levels matched to the old one's (scans), or None.
    ``check_dpi``: the DPI the candidates are found at (the windows resampled), when it is
    not the overlay's ``dpi``."""
    ctx = context_px(dpi)
    h, w = new.shape
    f = 1.0 if check_dpi is None else check_dpi / dpi
    for r, c, removed, _added in windows:
        r1, c1 = r + removed.shape[0], c + removed.shape[1]
        a, b = max(keep.start, r), min(keep.stop, r1)
        if b <= a:
            continue
        y0, y1, x0, x1 = max(0, a - ctx), min(h, b + ctx), max(0, c - ctx), min(w, c1 + ctx)
        n = new[y0:y1, x0:x1] if tone is None else cv2.LUT(new[y0:y1, x0:x1], tone)
        o = old[y0:y1, x0:x1]
        if f != 1.0:
            size = (max(1, round((x1 - x0) * f)), max(1, round((y1 - y0) * f)))
            how = cv2.INTER_AREA if f < 1 else cv2.INTER_LINEAR
            o, n = (cv2.resize(img, size, interpolation=how) for img in (o, n))
        cand = candidate_pixels(o, n, dpi * f)
        # pixel (ra, ca) of the (resampled) window is pixel (a, c) of the strip
        ra, rb = round((a - y0) * f), round((b - y0) * f)
        ca, cb = round((c - x0) * f), round((c1 - x0) * f)
        mark_cells(candidate_map, cand[ra:rb, ca:cb], (strip_row0 + y0) * f + ra,
                   x0 * f + ca, dpi * f)


def compare_pair(old_page: Page, new_page: Page, old_ident: SheetIdentity,
                 new_ident: SheetIdentity, out_dir: str, name: str,
                 options: PairOptions = PairOptions(), *, matrix: np.ndarray | None = None
                 ) -> dict:
    """Compare one pair and write its images under ``out_dir`` (``name``-prefixed files).

    ``matrix`` (old points → new points) replaces the automatic alignment's search (a
    user's alignment by points picked on the sheets); it is refined as a found one is.
    Returns the pair's entry of ``report.json`` (without pairing fields)."""
    with contextlib.ExitStack() as opened:  # what the comparison opens closes with it
        return _compare_pair(old_page, new_page, old_ident, new_ident, out_dir, name,
                             options, matrix, opened)


def _compare_pair(old_page: Page, new_page: Page, old_ident: SheetIdentity,
                  new_ident: SheetIdentity, out_dir: str, name: str, options: PairOptions,
                  matrix: np.ndarray | None, opened: contextlib.ExitStack) -> dict:
    os.makedirs(out_dir, exist_ok=True)
    # a scan's paper may have stretched (the alignment fits that too), and its alignment
    # has a local misfit (checked below); a vector pair aligns exactly
    has_scan = old_page.scan_dpi() is not None or new_page.scan_dpi() is not None
    layers: list = []  # the text layers (PDFium: read on this thread while it would wait)

    def read_text_layers():
        layers.extend([old_page.words(), new_page.words()])

    ahead: dict = {}
    with ThreadPoolExecutor(max_workers=1) as helper:
        def draw_ahead(new_img: PageImage, aligned) -> None:
            # (two vector sheets) while they align: the overlay's first strips of the new
            # sheet, up to DRAW_AHEAD_PX, both text layers, both sheets' line weights and
            # the new sheet's view when it is drawn (none of it depends on the alignment)
            budget = DRAW_AHEAD_PX
            for _y0, _y1, _ys0, region, shape in _strips(new_page, options):
                if aligned.done() or budget < shape[0] * shape[1]:
                    break
                new_img.draw_ahead(region, shape)
                budget -= shape[0] * shape[1]
            read_text_layers()
            ahead["line_weights"] = (old_page.line_weights(), new_page.line_weights())
            if _views_drawn(old_page, new_page):
                ahead["new_view"] = _drawn_view(new_img, np.eye(2, 3), new_page, options.dpi)

        old_img, new_img, alignment, title_block = _render_and_align(
            old_page, new_page, new_ident, options.dpi, matrix, helper, flexible=has_scan,
            meanwhile=draw_ahead)
        # the small-change test (at another DPI for a scan at about its own resolution, see
        # NATIVE_BAND): its candidates are marked while the overlay is made
        check_dpi, native = _small_check_dpi(options.dpi, old_page, new_page)
        old_shown = old_img  # the old sheet as the report shows it
        if alignment.ok:
            m, stretch = alignment.matrix, alignment.stretch
            # two vector sheets plotted with other pens (every line's weight differs), or
            # with one pen's lines all drawn at another width: the sheet's summary says so
            # once; the old sheet is compared as the new pens draw it (line_weights.py),
            # and shown as it is
            pens, moved = None, []
            if "line_weights" in ahead:
                scale = linear_scale(m)
                pens, moved, widths = compared_widths(*ahead["line_weights"], scale=scale)
                result_pens = {"changed": pens is not None,
                               **({} if pens is None else pens._asdict())}
                if moved:
                    result_pens["moved_pens"] = [p._asdict() for p in moved]
                if widths:
                    restroked = with_line_widths(old_page, widths)
                    opened.callback(restroked.drawing_set.close)
                    old_img = PageImage(restroked, old_img.dpi, old_img.as_ink, old_img.smooth)
                    # (points on the new sheet)
                    result_pens["compared_at"] = [
                        {"old_pt": round(w * scale, 3), "new_pt": round(v * scale, 3)}
                        for w, v in sorted(widths.items())]
            tone = _tone_match(old_img, new_img)
            # (a scan: the text layers are read while the first strip is compared)
            removed_map, added_map, candidate_map, overlay, written = _make_overlay(
                old_img, new_img, m, options, out_dir, name,
                meanwhile=None if layers else read_text_layers, tone=tone,
                check_dpi=check_dpi, stretch=stretch, new_view=ahead.get("new_view"),
                old_shown=old_shown)
            old_words, new_words = layers
        title_block = title_block.result()
    # "ink": the sheets draw in light colours and were rendered by their darkest channel
    result = {"alignment": alignment.to_dict(),
              "title_block": (None if title_block is None
                              else [round(v, 1) for v in title_block]),
              "render_mode": "ink" if new_img.as_ink else "grayscale"}
    if not alignment.ok:
        result.update(status="not_aligned", **{g: [] for g in CHANGE_GROUPS},
                      overlay=None, summary="The sheets could not be aligned automatically "
                      "(" + "; ".join(alignment.notes) + "); no overlay was made. Align them "
                      "by hand (two or three point pairs) to compare.")
        # both sheets whole, so a reader can still look at them side by side
        # (and their sizes in points: a reader may pick points on them to align by hand)
        result["sheet_views"], result["sheet_sizes_pt"] = {}, {}
        for side, page in (("old", old_page), ("new", new_page)):
            result["sheet_views"][side] = f"{name}-{side}.png"
            result["sheet_sizes_pt"][side] = [round(v, 2) for v in page.size_pt]
            write_sheet_preview(page, os.path.join(out_dir, result["sheet_views"][side]))
        return result

    regions = find_regions(removed_map, added_map, MAP_DPI, (72.0 / options.dpi) ** 2,
                           title_block=title_block, ignore=options.ignore)

    kept_crops: dict = {}  # crops the cloud test made, for the saved crops of the same box

    def crop_old(box, dpi=CROP_DPI, img=old_img, matrix=None):  # (matrix: a moved view's)
        return old_region_in_new_frame(img, m if matrix is None else matrix, box, dpi,
                                       _shape(box, dpi), stretch)

    def crop_new(box, dpi=CROP_DPI):
        return new_img.region(box, dpi, _shape(box, dpi))

    def crops_kept(bbox):  # (the cloud test) the region's saved crops, made now and kept
        box = _pad(bbox, new_page)
        for side, crop in (("old", crop_old), ("new", crop_new)):
            kept_crops[side, box] = crop(box)
        return box, CROP_DPI, kept_crops["old", box], kept_crops["new", box]

    # revision clouds (drawn around changes, or dropped with the last revision's) are not
    # design changes: listed apart, and a change a cloud had joined keeps its own box
    regions, clouds, tags = set_clouds_apart(regions, crops_kept, options.tolerance_pt)
    # a view moved as a whole (a plan placed elsewhere on the sheet) is one moved change,
    # and what changed inside it is compared in its new place: those regions' old sheet is
    # drawn through the view's matrix (``drawn_by``), and no move is looked for in them
    regions, views = find_moved_views(
        regions, lambda box, dpi, mx: crop_old(box, dpi, matrix=mx), crop_new, m,
        new_page.size_pt, options.dpi, options.tolerance_pt, title_block=title_block,
        ignore=options.ignore)
    drawn_by = {id(r): v.matrix for v in views for r in v.inside}
    in_views = [r for v in views for r in v.inside]
    # moves compare the changed ink itself; the saved crops add a margin of context
    regions = detect_moves(regions, crop_old, crop_new) + in_views + [v.region for v in views]

    def misfit(r: ChangeRegion) -> bool:  # the alignment's local error, not an edit
        box = _pad(r.bbox, new_page, MISFIT_PAD_PT)
        return explained_by_shift(crop_old(box, options.dpi, matrix=drawn_by.get(id(r))),
                                  crop_new(box, options.dpi), options.dpi,
                                  options.tolerance_pt, MIN_CHANGE_PT2)

    # scans only: a vector pair aligns exactly, so a line 1 pt off there was moved
    checked = []
    if has_scan:
        checked = sorted((r for r in regions if r.kind != "moved" and r.area_pt2 <= MISFIT_MAX_PT2),
                         key=lambda r: r.area_pt2)[:MISFIT_MAX_REGIONS]
    dropped = {id(r) for r in checked if misfit(r)}
    regions = [r for r in regions if id(r) not in dropped]

    # a vector sheet is drawn anti-aliased for the test (as a scanner saw its print, against
    # a scan), and a scan's tone matched to the other sheet so drawn
    old_check, new_check = _as_checked(old_img, new_img)
    check_tone = tone if new_check is new_img and old_check is old_img else _tone_match(
        old_check, new_check)
    # two vector sheets: words their text layers share, in place (their boxes), are left out
    # of the test (the word diff reports every text change exactly, and PDFium snaps each
    # glyph to whole pixels, so a word a fraction of a pixel off its twin differs in ink)
    # the old words in the new frame (those a moved view carried, through its matrix)
    mapped = words_with_views(old_words, map_words(old_words, m, stretch), new_words, views,
                              stretch)
    shared = same_words(mapped, new_words) if old_img.vector and new_img.vector else []
    steady = np.array([w.bbox for w in shared], float).reshape(-1, 4)

    def crops_at_check_dpi(box):
        shape = _shape(box, check_dpi)
        new = new_check.region(box, check_dpi, shape)
        old = old_region_in_new_frame(old_check, m, box, check_dpi, shape, stretch)
        new = new if check_tone is None else cv2.LUT(new, check_tone)
        if len(steady):
            old, new = (_blank_words(img, steady, box, check_dpi) for img in (old, new))
        return old, new

    # other pens: the small-change test is held to its stricter level
    if "line_weights" in ahead:
        result["line_weights"] = result_pens
    # changes below the overlay's tolerance (a digit of a dimension), checked one by one
    # (a cloud's ink is its ring: a digit changed inside a cloud is still looked for)
    small = find_small_changes(
        candidate_map, MAP_DPI, regions + tags + [ring for c in clouds for ring in cloud_ring(c)],
        crops_at_check_dpi, check_dpi, new_page.size_pt,
        title_block=title_block, ignore=options.ignore,
        noisy_level=NOISY_LEVEL if native or pens is not None else None,
        noisy_sigma=noisy_sigma_pt(_coarser_scan_dpi(old_page, new_page)),
        strict=pens is not None)
    regions += small.regions
    result["small_changes"] = {"dpi": round(check_dpi, 1), "level": round(small.level, 3),
                               "sigma_pt": round(small.sigma_pt, 3), "noisy": small.noisy}
    text_changes, text_layers = _text_changes(regions, mapped, new_words, old_img,
                                              new_img, m, stretch, has_scan, options,
                                              drawn_by)
    # a revision tag's number, added or dropped with it, is its label, not a text change
    text_changes, labels = tag_labels(tags, text_changes)
    regions = _attach_text(regions, text_changes, title_block, options.ignore)
    # after the text: a label whose text moved is one moved change, and a word re-lettered
    # in place is a text change, not a short move
    regions = join_moved_texts(regions, crop_old, crop_new)
    # (not inside a moved view: its changes are compared where it is)
    inside = [r for r in regions if id(r) in drawn_by]
    regions = find_short_moves([r for r in regions if id(r) not in drawn_by], crop_old,
                               crop_new, options.tolerance_pt) + inside
    # (a label moved a short way: the removed pieces of its words that clustered apart)
    regions = join_moved_texts(regions, crop_old, crop_new)
    regions = join_view_pieces(regions)
    _number(regions)
    _number(clouds, "rc")
    _number(tags, "rt")
    changes, tb_changes, edge_changes, cloud_changes = [], [], [], []
    for r in regions + clouds + tags:
        d = r.to_dict()
        src = r.from_bbox if r.kind == "moved" else r.bbox
        d["crops"] = {"old": f"{name}-{r.id}-old.png", "new": f"{name}-{r.id}-new.png"}
        d["grid"] = grid_cell(r.bbox, new_page.size_pt)  # where on the sheet, as summaries say
        if r.kind == "moved" and r.from_bbox is not None:
            d["from_grid"] = grid_cell(r.from_bbox, new_page.size_pt)
        old_box, new_box = _pad(src, new_page), _pad(r.bbox, new_page)
        kept_old = kept_crops.pop(("old", old_box), None) if old_shown is old_img else None
        cv2.imwrite(os.path.join(out_dir, d["crops"]["old"]),
                    crop_old(old_box, img=old_shown, matrix=drawn_by.get(id(r)))
                    if kept_old is None else kept_old)
        kept_new = kept_crops.pop(("new", new_box), None)
        cv2.imwrite(os.path.join(out_dir, d["crops"]["new"]),
                    crop_new(new_box) if kept_new is None else kept_new)
        if any(r is c for c in clouds):
            d["revision_cloud"] = True
            cloud_changes.append(d)
        elif any(r is t for t in tags):
            d["revision_tag"] = True
            if labels.get(id(r)):
                d["label"] = labels[id(r)]
            cloud_changes.append(d)
        elif r.in_title_block:
            tb_changes.append(d)
        elif has_scan and at_paper_edge(r.bbox, new_page.size_pt):
            edge_changes.append(d)
        else:
            changes.append(d)
    _mark_clouded(changes, cloud_changes)
    result.update(status="compared", changes=changes, title_block_changes=tb_changes,
                  paper_edge_changes=edge_changes, revision_clouds=cloud_changes,
                  overlay=overlay)
    if text_layers is not None:
        result["text_layers"] = text_layers
    result["summary"] = sheet_summary(new_ident, changes, tb_changes, new_page.size_pt,
                                      title_block_found=title_block is not None,
                                      held_stricter=(pens is None
                                                     and small.level > level_for(check_dpi)),
                                      line_weight_factor=None if pens is None else pens.factor,
                                      moved_pens=moved,
                                      paper_edge_changes=len(edge_changes),
                                      revision_clouds=cloud_changes)
    unconfirmed = (text_layers or {}).get("unconfirmed")
    if unconfirmed:
        n = len(unconfirmed)
        result["summary"] += (
            f" The two scans' text layers (OCR) agree on only "
            f"{100 * text_layers['agreement']:.0f}% of their words, so text that differs only "
            f"in them is not reported as a change: {n} such difference{'s' if n > 1 else ''} "
            f"{'are' if n > 1 else 'is'} listed apart.")
    if alignment.method == "user":  # a user's points that nothing on the sheets confirmed
        result["summary"] += (" Aligned by the points given, as given: nothing on the sheets "
                              "confirmed them, so check the overlay before trusting it.")
    written.result()  # the overlay's files are complete (or their error is raised)
    return result


def _mark_clouded(changes: list[dict], clouds: list[dict]) -> None:
    """Say which changes lie inside a cloud the new revision drew (``in_cloud``: its id,
    their centres inside its box) and, on each such cloud, which changes it marks
    (``marks``): a change nobody clouded is the one a reader most needs to see. A revision
    tag (listed with the clouds) names its cloud (``cloud``: the nearest of its side)."""
    for cloud in clouds:
        if cloud.get("revision_tag"):  # whose cloud: the nearest of its side
            near = [c for c in clouds if c.get("revision_cloud") and c["kind"] == cloud["kind"]]
            if near:
                cloud["cloud"] = min(near, key=lambda c: box_gap(c["bbox"], cloud["bbox"]))["id"]
        elif cloud["kind"] == "added":
            cloud["marks"] = [c["id"] for c in changes if box_inside(c["bbox"], cloud["bbox"])]
            for c in changes:
                if c["id"] in cloud["marks"]:
                    c.setdefault("in_cloud", cloud["id"])


#: Change regions up to this much changed ink (pt²) on a pair with a scan are checked
#: against the alignment's local misfit (:func:`.overlay.explained_by_shift`), with this
#: much context (points) around them: on harsh re-scans a line near the sheet's edge came
#: out as a sliver of 3-6 pt² where the affine fit was 0.6 pt off and the paper stretched
#: 0.3 pt.
MISFIT_MAX_PT2 = 30.0
MISFIT_PAD_PT = 12.0
#: At most this many regions a sheet are checked so (the smallest first; 4 ms each).
MISFIT_MAX_REGIONS = 200


#: Pages drawing more image pixels than this (scans) are rendered once at the overlay DPI,
#: kept and reduced for the alignment; others (vector pages, :func:`draws_cheaply`) are
#: rendered again for each use, which takes milliseconds.
RENDER_ONCE_IMAGE_PX = 1_000_000


def draws_cheaply(page: Page) -> bool:
    """Is ``page`` a vector page (a PDF drawing at most :data:`RENDER_ONCE_IMAGE_PX` image
    pixels), drawn again for each region it is needed in rather than rendered once and
    kept?"""
    return page.drawing_set.kind == "pdf" and page.image_pixels() <= RENDER_ONCE_IMAGE_PX


def _render_and_align(old_page: Page, new_page: Page, new_ident: SheetIdentity, dpi: float,
                      matrix: np.ndarray | None, helper: ThreadPoolExecutor,
                      flexible: bool = False, meanwhile=None):
    """Both pages as :class:`PageImage` at ``dpi``, their alignment (or the user's
    ``matrix``) and the new sheet's title block (points; a future, found on ``helper``, a
    one-thread pool).

    PDFium is not thread-safe, so every PDFium call stays on this thread; the alignment
    (OpenCV only) runs on ``helper`` while the full rasters are rendered, when the pages are
    cheap to render twice. The title block is needed only for the change regions: it is
    found after the alignment (vector pages) or beside it (scans). ``flexible``: a scan is
    involved, so the alignment fits its paper's stretch too. ``meanwhile(new_img,
    aligned)``: work for this thread while a vector pair's alignment (a future) runs."""
    def align(a_old, a_new):  # a user's ``matrix`` is refined like a found one
        return align_rasters(a_old, ALIGN_DPI, a_new, ALIGN_DPI, flexible=flexible,
                             initial=None if matrix is None else np.asarray(matrix, float))

    def title_block(a_new):
        return find_title_block(a_new, ALIGN_DPI, new_page.size_pt, new_ident.number_bbox)

    ink = old_page.light_colours() or new_page.light_colours()
    if draws_cheaply(old_page) and draws_cheaply(new_page):
        a_new = new_page.render(dpi=ALIGN_DPI, as_ink=ink)
        a_old = old_page.render(dpi=ALIGN_DPI, as_ink=ink)
        aligned = helper.submit(align, a_old, a_new)
        found = helper.submit(title_block, a_new)  # needed only after the overlay
        new_img, old_img = PageImage(new_page, dpi, ink), PageImage(old_page, dpi, ink)
        if meanwhile is not None:
            meanwhile(new_img, aligned)
        alignment = aligned.result()
    else:
        new_img, old_img = PageImage(new_page, dpi, ink), PageImage(old_page, dpi, ink)
        a_new = new_img.whole_at(ALIGN_DPI)
        found = helper.submit(title_block, a_new)
        alignment = align(old_img.whole_at(ALIGN_DPI), a_new)
    return old_img, new_img, alignment, found


def _overlay_shape(page: Page, dpi: float) -> tuple[int, int]:
    """Rows and columns of the overlay of the new sheet ``page`` at ``dpi``: whole pixels,
    rounded up."""
    return int(math.ceil(page.height_pt / 72 * dpi)), int(math.ceil(page.width_pt / 72 * dpi))


def _view_reduction(w_px: int) -> int:
    """The power of two the old/new views (and, without tiles, the preview) reduce an
    overlay ``w_px`` wide by: to at most :data:`PREVIEW_PX` wide."""
    k = 1
    while math.ceil(w_px / k) > PREVIEW_PX:
        k *= 2
    return k


#: Two vector sheets drawing more objects than this (either of them; paths, texts and what
#: their forms hold) have their old/new views reduced from the overlay's strips rather than
#: drawn again: PDFium's work for a drawing grows with the objects, whatever its size, and on
#: a dense sheet (57,000 objects) each view cost as much as a 150 DPI render (0.7 s), where
#: reducing the strips costs about 0.1 s of a writer thread for a 48×36 in sheet at 300 DPI.
VIEW_DRAW_MAX_OBJECTS = 10_000


def _views_drawn(old_page: Page, new_page: Page) -> bool:
    """Are two vector sheets' old/new views drawn (:func:`_drawn_view`), or reduced from the
    overlay's strips (sheets of more than :data:`VIEW_DRAW_MAX_OBJECTS` objects)?"""
    return max(old_page.object_count(), new_page.object_count()) <= VIEW_DRAW_MAX_OBJECTS


def _drawn_view(img: PageImage, to_new_pt: np.ndarray, new_page: Page, dpi: float
                ) -> np.ndarray:
    """(PDFium: the calling thread) a vector sheet as the report's old or new view: drawn
    through ``to_new_pt`` (2×3, its points → the new sheet's points) on the grid of the
    overlay at ``dpi`` reduced by :func:`_view_reduction`, grayscale. Drawn at twice the
    size and halved, so a glyph PDFium snaps to whole pixels across is off its place by a
    quarter of a view's pixel at most."""
    h_px, w_px = _overlay_shape(new_page, dpi)
    k_view = _view_reduction(w_px)
    size = (-(-h_px // k_view), -(-w_px // k_view))
    to_px = scaling(2 * dpi / 72.0 / k_view) @ homogeneous(to_new_pt)
    drawn = img.page.render_affine(to_px[:2], (2 * size[0], 2 * size[1]), as_ink=img.as_ink)
    return cv2.resize(drawn, (size[1], size[0]), interpolation=cv2.INTER_AREA)


def _make_overlay(old_img: PageImage, new_img: PageImage, m: np.ndarray, options: PairOptions,
                  out_dir: str, name: str, meanwhile=None, check_dpi: float | None = None,
                  tone: np.ndarray | None = None, stretch: StretchField | None = None,
                  new_view: np.ndarray | None = None, old_shown: PageImage | None = None):
    """Make the overlay strip by strip: write the PNG, the pyramid, the preview and the
    old/new views; return the removed and added change maps and the small-change candidate
    map (one cell per point of the new sheet; candidates found at ``check_dpi`` when given,
    with the new sheet's grey levels taken through ``tone`` when given), the report's
    ``overlay`` entry and a future that is done when every file is written (they are
    finished on a writer thread).

    ``meanwhile`` (a callable) runs on this thread while the first strip is compared: work
    that must stay on this thread (PDFium) and would otherwise wait for the overlay.
    ``new_view``: the new sheet's view (:func:`_drawn_view`), when drawn already.
    ``old_shown``: the old sheet as its view shows it, when it is compared otherwise drawn
    (other pens, :func:`.drawing_set.with_line_widths`); its view is then drawn, not
    reduced from the strips."""
    old_shown = old_img if old_shown is None else old_shown
    dpi = options.dpi
    h_px, w_px = _overlay_shape(new_img.page, dpi)
    map_shape = (int(math.ceil(new_img.page.height_pt)), int(math.ceil(new_img.page.width_pt)))
    removed_map = np.zeros(map_shape, np.float32)
    added_map = np.zeros(map_shape, np.float32)
    candidate_map = np.zeros(map_shape, np.uint8)
    overlay_png = os.path.join(out_dir, f"{name}-overlay.png")
    png = PngStreamWriter(overlay_png, w_px, h_px, PALETTE)
    dzi = os.path.join(out_dir, f"{name}-overlay.dzi")
    tiles = (DeepZoomWriter(dzi, w_px, h_px, tile=TILE_PX, palette=PALETTE,
                            palette_levels=strongest_pixel_levels(dpi)) if options.tiles
             else None)
    preview_k = _view_reduction(w_px)  # the old/new views (and without tiles the preview)
    preview_rows = []
    # the old (aligned) and new sheets at the preview's size, for the page's toggles: each
    # strip reduced on a writer thread (a power-of-two factor, OpenCV's fast path)
    views: list = []
    # two vector sheets: their views are drawn at the views' size instead (:func:`_drawn_view`,
    # while the first strip is compared), which costs PDFium a few milliseconds and spares
    # reducing every strip; unless the sheets are dense (:func:`_views_drawn`)
    drawn_views = (new_img.vector and old_img.vector and stretch is None
                   and (_views_drawn(old_img.page, new_img.page) or old_shown is not old_img))
    # overlay rows are padded with paper to a multiple of 8 px: packed 2 bits a pixel and
    # halved for the pyramid without copies
    padded_w = -(-w_px // 8) * 8
    writers = [ThreadPoolExecutor(max_workers=1), ThreadPoolExecutor(max_workers=1)]
    in_flight: list[list] = []  # the writers' tasks of the strips not yet written

    def compare_strip(y0, y1, ys0, new_strip, old_strip):
        """(on the comparing thread) classify a strip's ink, mark its changes and small-
        change candidates, and hand its rows to the writers."""
        ink = classify_ink(old_strip, new_strip, dpi, options.tolerance_pt, width=padded_w)
        keep = slice(y0 - ys0, y1 - ys0)
        _add_windows(removed_map, added_map, ink.windows, keep, ys0, dpi)
        _add_candidates(candidate_map, old_strip, new_strip, ink.windows, keep, ys0, dpi,
                        tone, check_dpi)
        idx = ink.index[keep]
        packed = pack_indices(idx)  # once, for the PNG and the full-size tiles
        # The PNG and the pyramid are encoded on two writer threads (deflate and OpenCV
        # release the GIL) while the next strips are compared; at most
        # :data:`STRIPS_IN_FLIGHT` strips waiting bounds the memory.
        while len(in_flight) >= STRIPS_IN_FLIGHT:
            for f in in_flight.pop(0):
                f.result()
        pending: list = []
        in_flight.append(pending)
        if tiles is not None:
            # writer 0 halves the rows for the pyramid first, then writes the PNG and the
            # full-size tiles while writer 1 makes the levels below from the halved rows
            half = writers[0].submit(tiles.halve_top_level, idx)
            pending.append(writers[1].submit(lambda h=half: tiles.add_halved(h.result())))
        pending.append(writers[0].submit(png.add, idx, packed))
        if tiles is not None:
            pending.append(writers[0].submit(tiles.add_top_level, idx, packed))
        else:
            preview_rows.append(_reduce_indices(idx, preview_k))
        if not drawn_views:
            views.append(writers[0].submit(_reduce_gray_pair, new_strip[keep],
                                           old_strip[keep], preview_k))

    # This thread draws (PDFium, which must stay on one thread) or warps each strip while
    # the comparing thread classifies the one before: the drawing is most of this thread's
    # work, and it was idle while a strip was classified. One strip compared and one drawn
    # ahead bound the memory.
    comparing = ThreadPoolExecutor(max_workers=1)
    drawn: list = []  # the drawn views (new, old)
    compared: list = []
    try:
        for y0, y1, ys0, region, shape in _strips(new_img.page, options):
            new_strip = new_img.region(region, dpi, shape)
            old_strip = old_region_in_new_frame(old_img, m, region, dpi, shape, stretch)
            while compared:
                compared.pop(0).result()
            compared.append(comparing.submit(compare_strip, y0, y1, ys0, new_strip, old_strip))
            if y0 == 0:  # while the comparing thread has the first strip
                if meanwhile is not None:
                    meanwhile()
                if drawn_views:
                    drawn = [new_view if new_view is not None
                             else _drawn_view(new_img, np.eye(2, 3), new_img.page, dpi),
                             _drawn_view(old_shown, m, new_img.page, dpi)]
        while compared:
            compared.pop(0).result()
    finally:
        comparing.shutdown(wait=True)
    for f in (f for pending in in_flight for f in pending):
        f.result()
    preview_path = os.path.join(out_dir, f"{name}-preview.png")

    def finish():
        png.close()
        if tiles is not None:
            tiles.close()
            preview = tiles.level_image(PREVIEW_PX)  # a pyramid level is the preview
        else:
            preview = np.concatenate(preview_rows)[:, :math.ceil(w_px / preview_k)]
        write_png(preview_path, preview)
        ph, pw = preview.shape[:2]
        for i, which in enumerate(("new", "old")):
            view = (drawn[i] if drawn_views
                    else np.concatenate([f.result()[i] for f in views]))[:ph, :pw]
            write_png(os.path.join(out_dir, f"{name}-{which}.png"), view)

    # the files are finished on a writer thread while the caller finds the change regions
    written = writers[0].submit(finish)
    for w in writers:
        w.shutdown(wait=False)
    return removed_map, added_map, candidate_map, {
        "png": os.path.basename(overlay_png),
        "dzi": os.path.basename(dzi) if tiles is not None else None,
        "preview": os.path.basename(preview_path), "old": f"{name}-old.png",
        "new": f"{name}-new.png", "dpi": dpi, "width_px": w_px, "height_px": h_px,
        "tile_px": TILE_PX if tiles is not None else None}, written


#: Pixels of the new sheet's first strips drawn ahead while a vector pair aligns (all of a
#: 48×36 in sheet at 300 DPI): the alignment's 0.1-0.3 s are otherwise idle
#: for this thread.
DRAW_AHEAD_PX = 160_000_000


def _strips(page: Page, options: PairOptions):
    """The overlay's strips of the new sheet ``page``, top to bottom: (first row, end row,
    first row with context, region in points: :data:`STRIP_ROWS` rows and context each
    side, its shape). The context is for the tolerance and for the blur of the
    small-change test."""
    dpi = options.dpi
    h_px, w_px = _overlay_shape(page, dpi)
    margin = max(int(math.ceil(options.tolerance_pt / 72 * dpi)) + 2, context_px(dpi))
    for y0 in range(0, h_px, STRIP_ROWS):
        y1 = min(h_px, y0 + STRIP_ROWS)
        ys0, ys1 = max(0, y0 - margin), min(h_px, y1 + margin)
        region = (0.0, ys0 * 72 / dpi, page.width_pt, min(page.height_pt, ys1 * 72 / dpi))
        yield y0, y1, ys0, region, (ys1 - ys0, w_px)


def write_sheet_preview(page: Page, path: str) -> None:
    """A whole sheet as a grayscale PNG about :data:`PREVIEW_PX` wide (at most 150 DPI), as
    the report shows a sheet added or removed: there is nothing to compare it with, and a
    reader still wants to see it."""
    dpi = min(150.0, PREVIEW_PX * 72.0 / page.width_pt)
    write_png(path, page.render(dpi=dpi))


def _reduce_indices(idx: np.ndarray, k: int) -> np.ndarray:
    """Overlay rows (palette indices) ``k`` times smaller (``k`` a power of two, dividing
    :data:`STRIP_ROWS`), RGB averaged by area. Padded with paper to whole k×k blocks, so
    OpenCV takes its integer-factor path (a factor like 0.139 takes the general one, an
    order of magnitude slower on a 300 DPI sheet). The first halving keeps changes, like the
    pyramid's level below the top (:func:`maxpool_indices`), and spares colouring the
    full-size rows."""
    if k >= 2:
        idx, k = maxpool_indices(idx), k // 2
    pad_h, pad_w = -idx.shape[0] % k, -idx.shape[1] % k
    if pad_h or pad_w:
        idx = cv2.copyMakeBorder(idx, 0, pad_h, 0, pad_w, cv2.BORDER_CONSTANT, value=0)
    return resize_palette(idx, PALETTE, (idx.shape[1] // k, idx.shape[0] // k))


def _reduce_gray_pair(new_rows: np.ndarray, old_rows: np.ndarray, k: int
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Two blocks of gray rows ``k`` times smaller (``k`` a power of two; ceil(rows / k) ×
    ceil(cols / k)), averaged by area so thin lines stay, fainter: :func:`.rasters.halve`
    ``log2(k)`` times (an odd last row or column, 1/300 in at the sheet's edge, is dropped),
    the result padded with paper to its size."""
    def reduce(rows):
        h, w = -(-rows.shape[0] // k), -(-rows.shape[1] // k)
        for _ in range(k.bit_length() - 1):
            rows = halve(rows)
        out = np.full((h, w), 255, np.uint8)
        out[:min(h, rows.shape[0]), :min(w, rows.shape[1])] = rows[:h, :w]
        return out
    return reduce(new_rows), reduce(old_rows)


def _shape(box, dpi: float) -> tuple[int, int]:
    """Raster shape (rows, cols) of a box in points at ``dpi``."""
    return (max(1, int((box[3] - box[1]) / 72 * dpi)), max(1, int((box[2] - box[0]) / 72 * dpi)))


#: A scan compared within this band of its own resolution (overlay DPI / the scan's DPI) is
#: checked for small changes at :data:`NATIVE_CHECK_FACTOR` times the scan's DPI, and held to
#: :data:`.small_changes.NOISY_LEVEL` when it proves noisy. At its own resolution the
#: overlay takes the scan's grain and JPEG blocks pixel for pixel: on harsh re-scans
#: unchanged ink scored up to 0.45 there, above most changed digits (200 DPI on 200 DPI
#: scans: about 17 false small changes a sheet). Interpolated (300 on 200) or reduced (150 on
#: 200) it stayed under the levels; reduced from the overlay's own raster it did not (about
#: 50 false a sheet), so the check interpolates.
NATIVE_BAND = (0.8, 1.25)
NATIVE_CHECK_FACTOR = 1.5


def _small_check_dpi(dpi: float, old_page: Page, new_page: Page) -> tuple[float, bool]:
    """The DPI the small-change test runs at for an overlay at ``dpi``, and whether a sheet
    of the pair is a scan compared at about its own resolution (:data:`NATIVE_BAND`)."""
    for d in (old_page.scan_dpi(), new_page.scan_dpi()):
        if d is not None and NATIVE_BAND[0] <= dpi / d <= NATIVE_BAND[1]:
            return NATIVE_CHECK_FACTOR * d, True
    return dpi, False


def _coarser_scan_dpi(old_page: Page, new_page: Page) -> float | None:
    """The lower resolution of the pair's scans, or None when neither sheet is a scan."""
    dpis = [d for d in (old_page.scan_dpi(), new_page.scan_dpi()) if d is not None]
    return min(dpis) if dpis else None


def _as_checked(old_img: PageImage, new_img: PageImage) -> tuple[PageImage, PageImage]:
    """The two sheets as the small-change test should see them: its blurred ink mass must
    not depend on how a line falls on the pixel grid.

    A vector sheet against a scan: the vector one is drawn as the scanner saw its print,
    anti-aliased, at the scan's resolution (then resampled to the test's, as the scan is).
    Drawn crisp at the test's resolution, dense linework (parallel lines a pixel apart, a
    hairline's width) carries another ink mass than in the scan: 23 of 40 false small
    changes on a vector sheet against a 200 DPI raster copy of it stayed above the test's
    level, 2 of 40 drawn as the scanner saw it.

    Two vector sheets: both anti-aliased. Drawn crisp, a line a fraction of a pixel off
    its twin (a re-plot moved by 24.4 pt, 0.03 pt out after alignment) comes out a pixel
    wider or narrower: 17-37 false small changes a sheet on moved re-plots of the example
    sheets, 0-3 anti-aliased. Two scans are compared as they are."""
    old_dpi, new_dpi = old_img.page.scan_dpi(), new_img.page.scan_dpi()
    if old_img.vector and new_img.vector:
        return (PageImage(old_img.page, old_img.dpi, old_img.as_ink, smooth=True),
                PageImage(new_img.page, new_img.dpi, new_img.as_ink, smooth=True))
    if (old_dpi is None) == (new_dpi is None):
        return old_img, new_img
    if old_dpi is None:
        return PageImage(old_img.page, new_dpi, old_img.as_ink, smooth=True), new_img
    return old_img, PageImage(new_img.page, old_dpi, new_img.as_ink, smooth=True)


def _blank_words(img: np.ndarray, word_boxes: np.ndarray, box, dpi: float,
                 pad_pt: float = 0.5) -> np.ndarray:
    """``img`` (a crop of ``box``, new-sheet points, at ``dpi``) with the words' boxes
    (``word_boxes``: N×4 x0, y0, x1, y1, new-sheet points, grown by ``pad_pt``) painted as
    paper. The boxes are an array: a sheet's shared words are hundreds, and each of its
    hundreds of small-change candidates picks those in its crop."""
    k = dpi / 72.0
    b = word_boxes
    near = b[(b[:, 2] + pad_pt >= box[0]) & (b[:, 0] - pad_pt <= box[2])
             & (b[:, 3] + pad_pt >= box[1]) & (b[:, 1] - pad_pt <= box[3])]
    if not len(near):
        return img
    out = img.copy()
    for x0, y0, x1, y1 in near.tolist():
        cv2.rectangle(out, (int((x0 - pad_pt - box[0]) * k), int((y0 - pad_pt - box[1]) * k)),
                      (int(math.ceil((x1 + pad_pt - box[0]) * k)),
                       int(math.ceil((y1 + pad_pt - box[1]) * k))), 255, -1)
    return out


def _tone_match(old_img: PageImage, new_img: PageImage) -> np.ndarray | None:
    """For a pair with a scan: the new sheet's grey levels matched to the old one's
    (:func:`.small_changes.tone_curve`, from the kept rasters), so the small-change test
    does not count another scanner's tone as changed ink. None for vector pairs, which
    PDFium renders alike.

    Both histograms are taken at one resolution, the coarser of the two kept rasters': a
    thin line's grey edges take another share of its pixels at another DPI, and the curve
    matched across DPIs (a vector sheet drawn at a 200 DPI scan's resolution against the
    scan at 150) made every stroke of the scan lighter or darker than its twin: 84 false
    small changes on four vector sheets against re-scans of their prints, 3 matched at one
    DPI."""
    if old_img.page.scan_dpi() is None and new_img.page.scan_dpi() is None:
        return None
    # each raster at its DPI (a large scan's at ALIGN_DPI)
    dpi = min(img.dpi if img.full is not None or img.vector else ALIGN_DPI
              for img in (old_img, new_img))
    return tone_curve(old_img.whole_at(dpi), new_img.whole_at(dpi))


def _pad(box, page: Page, pad: float = CROP_PAD_PT, pad_y: float | None = None):
    """``box`` (points) grown by ``pad`` left and right and ``pad_y`` (else ``pad``) above
    and below, kept inside ``page``."""
    py = pad if pad_y is None else pad_y
    return (max(0.0, box[0] - pad), max(0.0, box[1] - py),
            min(page.width_pt, box[2] + pad), min(page.height_pt, box[3] + py))


def _as_read(old_img: PageImage, new_img: PageImage) -> tuple[PageImage, PageImage]:
    """The two sheets as OCR reads them: rendered again at :data:`OCR_TEXT_DPI` when the
    overlay's are coarser. The overlay's raster, enlarged, reads worse: exact before and
    after of 7 pt dimensions on 150 DPI overlays of 200 DPI scans: 14 of 48, 6 of 48 on
    harsh re-scans; read from renders at 200 DPI: 25 and 16; at 300 DPI: 19 and 9. (A
    vector sheet drawn anti-aliased read no better: 7 pt stroked dimensions, 31 of 60
    exact against 32 of 60 drawn without.)"""
    return tuple(PageImage(i.page, OCR_TEXT_DPI, i.as_ink) if i.dpi < OCR_TEXT_DPI else i
                 for i in (old_img, new_img))


def _ocr_text_changes(regions: list[ChangeRegion], old_img: PageImage, new_img: PageImage,
                      m: np.ndarray, stretch: StretchField | None = None,
                      drawn_by: dict | None = None, moved: bool = False,
                      min_height_pt: float = OCR_MIN_HEIGHT_PT,
                      detect_scale: float | None = OCR_DETECT_SCALE) -> list:
    """Text changes of a sheet without a text layer: each change region, widened to take in
    the words it touches (:data:`OCR_CONTEXT_PT`), is read by OCR on the aligned old sheet
    and on the new one; the readings are diffed word by word like text layers, and the
    changes touching the region are kept. A changed digit then reports its whole dimension
    (``51'-8"`` → ``51'-4"``), not the digit alone. ``drawn_by``: the matrix (old points →
    new points) of the regions inside a moved view, by ``id``; others are read through
    ``m``. ``moved``: moved regions are read too (else they are left out).
    ``min_height_pt``: each region is read in a box at least this tall (points);
    ``detect_scale``: its lines are looked for at that many times its size (None:
    RapidOCR's own rule, :meth:`.ocr.RapidOcrRecognizer.recognize_pair`)."""
    from .ocr import default_recognizer

    targets = [r for r in regions if moved or r.kind != "moved"][:OCR_MAX_REGIONS]
    if not targets:
        return []
    old_img, new_img = _as_read(old_img, new_img)
    rec = default_recognizer()
    out: list[TextChange] = []
    for r in targets:
        mr = (drawn_by or {}).get(id(r), m)

        def read(b, turns: int = 0):
            """The aligned old sheet and the new one read in ``b`` (points): as they are,
            or turned so that text reading ``turns`` (1 up, 3 down) reads left to right;
            the words' boxes in points, reading that way."""
            shape = _shape(b, OCR_TEXT_DPI)
            sx, sy = (b[2] - b[0]) / shape[1], (b[3] - b[1]) / shape[0]
            h_px, w_px = shape
            rasters = [old_region_in_new_frame(old_img, mr, b, OCR_TEXT_DPI, shape, stretch),
                       new_img.region(b, OCR_TEXT_DPI, shape)]
            # the characters whose ink differs are read on each side alone, the others from
            # both at once; not the change regions' boxes: they miss what the overlay's
            # tolerance hid ("1,820" -> "4,775": a region on the "1," alone) and take in
            # characters beside a changed one (a faint "5" beside a "6" turned "9", read
            # on its own side, was lost: "9'-0"")
            changed = _changed_glyphs(*rasters, OCR_SAME_INK_PT * OCR_TEXT_DPI / 72.0)
            if not changed.any():  # (no ink differs by a pixel: a 6 turned 8 at 7 pt can)
                for c in regions:
                    c0, c1 = int((c.bbox[0] - b[0]) / sx), int(np.ceil((c.bbox[2] - b[0]) / sx))
                    r0, r1 = int((c.bbox[1] - b[1]) / sy), int(np.ceil((c.bbox[3] - b[1]) / sy))
                    changed[max(0, r0):max(0, r1), max(0, c0):max(0, c1)] = True
            if turns:
                turn = cv2.ROTATE_90_CLOCKWISE if turns == 1 else cv2.ROTATE_90_COUNTERCLOCKWISE
                rasters = [cv2.rotate(x, turn) for x in rasters]
                changed = cv2.rotate(changed.view(np.uint8), turn).view(bool)
            out_words = []
            for read_words in (rec.recognize_pair(*rasters, changed, detect_scale)
                               if hasattr(rec, "recognize_pair")
                               else [rec.recognize(x) for x in rasters]):
                words = []
                for w in read_words:
                    if w.confidence < 0.5 or (turns and w.turns):
                        continue
                    x0, y0, x1, y1 = w.bbox  # (pixels of the raster read)
                    if turns == 1:  # back from a quarter turn clockwise
                        x0, y0, x1, y1 = y0, h_px - x1, y1, h_px - x0
                    elif turns == 3:
                        x0, y0, x1, y1 = w_px - y1, x0, w_px - y0, x1
                    words.append(Word(w.text, (b[0] + x0 * sx, b[1] + y0 * sy,
                                               b[0] + x1 * sx, b[1] + y1 * sy),
                                      w.confidence, turns or w.turns))
                out_words.append(words)
            return out_words

        w, h = r.bbox[2] - r.bbox[0], r.bbox[3] - r.bbox[1]
        readings = read(_pad(r.bbox, new_img.page, OCR_CONTEXT_PT,
                             max(4.0, (min_height_pt - h) / 2)))
        upright = [x.turns for words in readings for x in words
                   if x.turns % 2 and boxes_overlap(x.bbox, r.bbox)]
        if upright:
            # text running up or down the sheet (a vertical dimension): the region is read
            # again along its line, turned to read left to right (OCR finds a turned line
            # less surely: "1,820" was cut at its comma); its words from that reading, the
            # level ones from the first but where a word of it runs up the sheet (a piece
            # of the vertical text read level: "28"; a short level word read turned there
            # is no such word, and stays)
            along = read(_pad(r.bbox, new_img.page,
                              max(OCR_ACROSS_PT, (OCR_MIN_HEIGHT_PT - w) / 2), OCR_CONTEXT_PT),
                         max(set(upright), key=upright.count))
            readings = [[x for x in level if not x.turns % 2
                         and not any(boxes_overlap(x.bbox, v.bbox) and _runs_up(v.bbox)
                                     for v in up)] + up
                        for level, up in zip(readings, along)]
        for tc in diff_words(*readings):
            tc = replace(tc, text_before=_dimension_form(tc.text_before),
                         text_after=_dimension_form(tc.text_after))
            if not boxes_overlap(tc.bbox, r.bbox) or same_letters(tc.text_before, tc.text_after):
                continue
            if any(boxes_overlap(tc.bbox, o.bbox) and (tc.text_before, tc.text_after)
                   == (o.text_before, o.text_after) for o in out):
                continue  # read again from a neighbouring region
            out.append(tc)
    return out


#: OCR's readings of a feet-and-inches dimension are put in the drawing's form: no space
#: around the dash after the foot mark (``5'- 10"`` -> ``5'-10"``), ...
_DIMENSION_DASH = re.compile(r"(\d')\s*-\s*(?=\d)")
#: ... and an inch mark after the inches (``23'-10'`` -> ``23'-10"``: a dimension has no
#: second foot mark; OCR reads a stroked inch mark as one).
_DIMENSION_INCHES = re.compile(r"(\d'-\d+(?: \d+/\d+)?)'(?=\s|$)")


def _dimension_form(text: str | None) -> str | None:
    """A text read by OCR with its feet-and-inches dimensions in the drawing's form
    (:data:`_DIMENSION_DASH`, :data:`_DIMENSION_INCHES`); other text as it is. On the
    drawn-text bench, readings such as ``22'- 7"`` for ``22'-7"`` were inexact only so."""
    if not text:
        return text
    return _DIMENSION_INCHES.sub(r'\1"', _DIMENSION_DASH.sub(r"\1-", text))


def _changed_glyphs(old: np.ndarray, new: np.ndarray, reach_px: float) -> np.ndarray:
    """The pieces of ink (connected, of either of two aligned grayscale rasters of one
    shape; :data:`.overlay.INK_THRESHOLD`) that hold a pixel where one raster has ink and
    the other has none within ``reach_px``: the characters that changed, whole."""
    ink = [(x < INK_THRESHOLD).view(np.uint8) for x in (old, new)]
    near = [cv2.dilate(i, disk_px(reach_px)) for i in ink]
    differs = (ink[0] > near[1]) | (ink[1] > near[0])
    _, labels = cv2.connectedComponents(ink[0] | ink[1], connectivity=8)
    pieces = np.unique(labels[differs])
    return np.isin(labels, pieces[pieces > 0])


def _runs_up(box) -> bool:
    """Is a box (points) of a word read up or down the sheet the box of such text: taller
    than wide by OCR's own measure of a tall line (:data:`.ocr.TALL_LINE_RATIO`)?"""
    from .ocr import TALL_LINE_RATIO

    return box[3] - box[1] >= TALL_LINE_RATIO * (box[2] - box[0])


#: On a pair with a scan, the text layers are diffed only if they agree on at least this
#: share of their words away from the changed ink (:func:`.text_diff.agreement`). A scan's
#: text layer is an OCR reading, and two readings differ where nothing printed did: a 34×22
#: in example sheet against a re-scan of it with its own OCR layer (RapidOCR), 81-139
#: differences a sheet where 4 edits were made; its layers agreed on 7-40 % of their
#: words. Layers written by one reader (the generator's re-scans) agree on 96-99 %.
TRUSTED_AGREEMENT = 0.95
#: Words this close (points) to changed ink are left out of the layers' agreement: what
#: was edited there is no measure of how well the two layers read the same print.
AGREEMENT_PAD_PT = 2.0


def _drawn_text_regions(regions: list[ChangeRegion], word_boxes: np.ndarray,
                        old_img: PageImage, new_img: PageImage, m: np.ndarray,
                        stretch: StretchField | None, drawn_by: dict | None
                        ) -> list[ChangeRegion]:
    """The change regions of a pair with text layers that may hold text drawn as lines
    (:data:`DRAWN_TEXT_PAD_PT`): no word of either layer (``word_boxes``: N×4, new-sheet
    points) near them, a move no longer than :data:`DRAWN_TEXT_SHIFT_PT`, and changed ink in pieces
    of characters' size (:data:`GLYPH_MAX_PT`, :data:`GLYPH_MIN_PT`,
    :data:`GLYPH_MIN_WIDTH_PT`), looked at on the sheets as OCR reads them (:func:`_as_read`:
    ``old_img``, ``new_img``)."""
    px_pt = 72.0 / OCR_TEXT_DPI
    out = []
    for r in regions:
        boxes = [r.bbox] + ([r.from_bbox] if r.kind == "moved" and r.from_bbox else [])
        if r.kind == "moved" and (r.from_bbox is None or math.dist(
                box_centre(r.bbox), box_centre(r.from_bbox)) > DRAWN_TEXT_SHIFT_PT):
            continue
        if any(overlaps_any(grow_box(b, DRAWN_TEXT_PAD_PT), word_boxes) for b in boxes):
            continue
        b = _pad(union_box(boxes), new_img.page, 1.0, 1.0)
        shape = _shape(b, OCR_TEXT_DPI)
        old = old_region_in_new_frame(old_img, (drawn_by or {}).get(id(r), m), b,
                                      OCR_TEXT_DPI, shape, stretch)
        changed = _changed_glyphs(old, new_img.region(b, OCR_TEXT_DPI, shape),
                                  OCR_SAME_INK_PT / px_pt)
        n, _, stats, _ = cv2.connectedComponentsWithStats(changed.view(np.uint8), connectivity=8)
        large, small = (stats[1:, 2:4].max(axis=1) * px_pt,  # each piece's sides, points
                        stats[1:, 2:4].min(axis=1) * px_pt)
        if n > 1 and large.max() <= GLYPH_MAX_PT and (
                (large >= GLYPH_MIN_PT) & (small >= GLYPH_MIN_WIDTH_PT)).any():
            out.append(r)
    return out


def _read_enough(tc: TextChange) -> bool:
    """Whether a text change read by OCR in strokes (:func:`_drawn_text_regions`) is text:
    a change with a before and an after, or one side of at least
    :data:`DRAWN_TEXT_MIN_CHARS` characters."""
    if tc.text_before and tc.text_after:
        return True
    text = (tc.text_before or tc.text_after or "").replace(" ", "")
    return len(text) >= DRAWN_TEXT_MIN_CHARS


def _text_changes(regions: list[ChangeRegion], mapped: list[Word], new_words: list[Word],
                  old_img: PageImage, new_img: PageImage, m: np.ndarray,
                  stretch: StretchField | None, has_scan: bool, options: PairOptions,
                  drawn_by: dict | None = None) -> tuple[list, dict | None]:
    """The pair's text changes (boxes: new-sheet points) and its report entry
    ``text_layers`` (None unless both sheets have a text layer; without one the change
    regions are read by OCR). ``mapped``: the old sheet's words in the new frame.

    Two text layers are diffed word by word. On a pair with a scan they are trusted only
    when they agree on :data:`TRUSTED_AGREEMENT` of their words away from the changed ink
    (``regions``). Layers that do not are two OCR readings that differ where nothing
    printed changed: only their differences on changed ink are kept, and those away from
    it are listed as ``unconfirmed``, not reported as changes. (Reading the regions again by
    OCR instead gave fewer exact before/after texts: 26 of 37 against 31 of 37, on 9
    re-scans with their own OCR layers.)"""
    if not mapped or not new_words:
        return (_ocr_text_changes(regions, old_img, new_img, m, stretch, drawn_by)
                if options.ocr
                else []), None
    changes = diff_words(mapped, new_words)
    if options.ocr and not has_scan:
        # text the sheets draw as lines (SHX), where neither layer has a word
        old_read, new_read = _as_read(old_img, new_img)
        layer_boxes = np.array([w.bbox for w in mapped + new_words], float).reshape(-1, 4)
        drawn = _drawn_text_regions(regions, layer_boxes, old_read, new_read, m, stretch,
                                    drawn_by)
        read = [tc for tc in (_ocr_text_changes(drawn, old_read, new_read, m, stretch,
                                                drawn_by, moved=True,
                                                min_height_pt=DRAWN_TEXT_MIN_HEIGHT_PT,
                                                detect_scale=DRAWN_TEXT_DETECT_SCALE)
                              if drawn else [])
                if not overlaps_any(tc.bbox, layer_boxes) and _read_enough(tc)]
        for r in drawn:  # a glyph moved within a word that changed: the word's change
            if r.kind == "moved" and any(tc.kind == "changed" and boxes_overlap(tc.bbox, r.bbox)
                                         for tc in read):
                r.kind, r.from_bbox = "modified", None
        changes += read
    # old text the alignment carries off the new sheet (a re-plot moved, an old sheet's
    # notes beyond its edge): nothing of it can be shown on the new sheet, so it is counted
    # in the entry, not reported as a change with a box outside the sheet
    sheet = (0.0, 0.0, *new_img.page.size_pt)
    on_sheet, off_sheet = [], []
    for tc in changes:
        (on_sheet if boxes_overlap(tc.bbox, sheet) else off_sheet).append(tc)
    changes = on_sheet
    ink = [b for r in regions for b in (r.bbox, r.from_bbox) if b is not None]
    near_ink = [grow_box(b, AGREEMENT_PAD_PT) for b in ink]

    def away(words):
        return [w for w in words if not any(boxes_overlap(w.bbox, b) for b in near_ink)]

    share = agreement(away(mapped), away(new_words))
    trusted = not has_scan or share >= TRUSTED_AGREEMENT
    entry: dict = {"agreement": round(share, 3), "trusted": trusted}
    if off_sheet:
        entry["off_sheet"] = len(off_sheet)
    if trusted:
        return changes, entry
    on_ink, off_ink = [], []
    for tc in changes:
        (on_ink if any(boxes_overlap(tc.bbox, b) for b in ink) else off_ink).append(tc)
    # filtered as _attach_text filters a text change off every region; with their grid cell
    entry["unconfirmed"] = [
        dict(tc.to_dict(), grid=grid_cell(tc.bbox, new_img.page.size_pt)) for tc in off_ink
        if _worth_showing(tc, options.ignore) and not same_letters(tc.text_before,
                                                                   tc.text_after)]
    return on_ink, entry


def _worth_showing(tc, ignore) -> bool:
    """Whether a text change is shown at all: outside every ignored region, and with a
    letter or a digit on one side (:func:`_has_letters`)."""
    return (not any(box_inside(tc.bbox, box) for box in ignore)
            and (_has_letters(tc.text_before) or _has_letters(tc.text_after)))


def _has_letters(text: str | None) -> bool:
    """Whether a text holds a letter or a digit: a lone "-" or "." (a scan's text layer or
    the OCR reading a leader or a speck) tells a reader nothing a cloud does not."""
    return any(c.isalnum() for c in text or "")


def _attach_text(regions: list[ChangeRegion], text_changes, title_block, ignore
                 ) -> list[ChangeRegion]:
    """Give each region the text changes inside it; text changes outside every region
    become regions of their own (kind from the text change). A region of added or removed
    ink holding a changed text is ``modified``. Text changes not worth showing
    (:func:`_worth_showing`) are left out."""
    extra = []
    for tc in text_changes:
        if not _worth_showing(tc, ignore):
            continue  # ignored, or a dash or a stray mark read as a word
        if tc.kind != "moved" and same_letters(tc.text_before, tc.text_after):
            # the text layer split or joined words differently (a CJK label read as one
            # word on one sheet and letter by letter on the other); nothing printed changed
            # and a speck of ink under it is no reason to say so
            continue
        hosts = [r for r in regions if boxes_overlap(r.bbox, tc.bbox)]
        # a moved text goes with the region that holds most of where it is: moved by about
        # its width, its tail may have clustered with where it was
        host = (max(hosts, key=lambda r: _overlap_area(r.bbox, tc.bbox)) if tc.kind == "moved"
                else hosts[0]) if hosts else None
        if host is None:
            kind = {"changed": "modified"}.get(tc.kind, tc.kind)
            host = ChangeRegion("", kind, tc.bbox, 0.0, 0.0, 0.0,
                                from_bbox=tc.from_bbox if tc.kind == "moved" else None,
                                in_title_block=title_block is not None
                                and box_inside(tc.bbox, title_block))
            extra.append(host)
        host.text_changes.append(tc.to_dict())
    for r in [*regions, *extra]:
        if r.text_changes:
            befores = [t["text_before"] for t in r.text_changes if t["text_before"]]
            afters = [t["text_after"] for t in r.text_changes if t["text_after"]]
            r.text_before = " | ".join(befores) if befores else None
            r.text_after = " | ".join(afters) if afters else None
            if r.kind in ("added", "removed") and any(t["kind"] == "changed"
                                                      for t in r.text_changes):
                # a word re-lettered with more strokes (玄関 → 蔽関) only adds ink, but
                # what changed is the word: "modified", as its text says
                r.kind = "modified"
    return [*regions, *extra]


def _overlap_area(a, b) -> float:
    """Area (points²) where two boxes (points) overlap."""
    return (max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
            * max(0.0, min(a[3], b[3]) - max(a[1], b[1])))


def _number(regions: list[ChangeRegion], prefix: str = "c") -> None:
    """Ids in reading order (top to bottom, left to right): c1, c2... (``prefix``) and t1...
    for the title block."""
    regions.sort(key=lambda r: (round(r.bbox[1] / 36), r.bbox[0]))
    counts = {prefix: 0, "t": 0}
    for r in regions:
        p = "t" if r.in_title_block else prefix
        counts[p] += 1
        r.id = f"{p}{counts[p]}"
