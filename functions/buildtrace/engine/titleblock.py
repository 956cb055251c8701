"""Locating the title block of a sheet, so that its churn (dates, revision marks, stamps) is
reported apart from design changes.

The title block is the ruled box that holds the sheet number. From a low-resolution raster
we find long ruled lines; the title block's inner edge is the long vertical rule left of the
number (a title column or right strip) or, failing that, the long horizontal rule above it
(a bottom band). With a number but no such lines, a zone reaching from just left of and
above the number to the sheet's edges (:data:`NUMBER_ZONE_PT`) stands in. Without a number
there is no title block. Changes reported as title-block churn are left out of a sheet's
design changes, so where the block is not found it is kept small or absent: a date may then
show as a change, but a design change is not hidden as churn.

Boxes are (x0, y0, x1, y1) in PDF points of the sheet, origin top-left, y down.
"""

from __future__ import annotations

import cv2
import numpy as np

from .rasters import halve, outer_contours

#: Resolution of the line search.
LINE_DPI = 36.0
#: A ruled line must be at least this long (points) to bound a title block (4 in).
MIN_LINE_PT = 288.0
#: Without ruled lines, the title block is taken to reach this far (points) left of and
#: above the sheet number, and from there to the sheet's right and bottom edges (4 × 2 in).
NUMBER_ZONE_PT = (288.0, 144.0)


def _lines(ink: np.ndarray, horizontal: bool, min_px: int) -> list[tuple[int, int, int, int]]:
    """Boxes (px) of straight rules at least ``min_px`` long. The ink is first thickened
    across the rule's direction so that a rule on a scan turned by up to about 1.5° stays
    continuous."""
    across = (1, 7) if horizontal else (7, 1)
    ink = cv2.dilate(ink, cv2.getStructuringElement(cv2.MORPH_RECT, across))
    size = (min_px, 1) if horizontal else (1, min_px)
    mask = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, size))
    # the boxes of the rules' components (a few, on an image that is mostly empty)
    boxes = [cv2.boundingRect(c) for c in outer_contours(mask)]
    return [(x, y, x + w, y + h) for x, y, w, h in boxes]


def find_title_block(raster: np.ndarray, dpi: float, page_pt: tuple[float, float],
                     number_bbox: tuple[float, float, float, float] | None
                     ) -> tuple[float, float, float, float] | None:
    """The title block's box in points, or None without a sheet number to anchor it.
    ``raster`` is the sheet at ``dpi`` (any; it is reduced to :data:`LINE_DPI`);
    ``number_bbox`` is the sheet number's box in points."""
    w_pt, h_pt = page_pt
    if number_bbox is None:
        return None
    fallback = (max(0.0, number_bbox[0] - NUMBER_ZONE_PT[0]),
                max(0.0, number_bbox[1] - NUMBER_ZONE_PT[1]), w_pt, h_pt)
    # halved while that stays above LINE_DPI (OpenCV's fast 2x2 path), then resized to it
    small, small_dpi = raster, dpi
    while small_dpi >= 2 * LINE_DPI:
        small, small_dpi = halve(small), small_dpi / 2
    f = LINE_DPI / small_dpi
    small = cv2.resize(small, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
    ink = cv2.threshold(small, 169, 1, cv2.THRESH_BINARY_INV)[1]
    s = LINE_DPI / 72.0  # px per point
    min_px = max(8, int(MIN_LINE_PT * s))
    cx = (number_bbox[0] + number_bbox[2]) / 2 * s
    cy = (number_bbox[1] + number_bbox[3]) / 2 * s
    # A right-hand column: the nearest long vertical rule left of the number that runs past
    # it (the title column's edge). Else a bottom band: the highest long horizontal rule
    # above the number within the bottom third.
    verticals = [(x0, y0, x1, y1) for x0, y0, x1, y1 in _lines(ink, False, min_px)
                 if y0 <= cy <= y1 and x1 < cx - 2 and x0 > 0.3 * small.shape[1]]
    if verticals:
        x0, y0, _x1, y1 = max(verticals, key=lambda b: b[2])
        return (x0 / s, y0 / s, w_pt, max(y1 / s, number_bbox[3]))
    horizontals = [(x0, y0, x1, y1) for x0, y0, x1, y1 in _lines(ink, True, min_px)
                   if x0 <= cx <= x1 and y1 < cy - 2 and y0 > 0.66 * small.shape[0]]
    if horizontals:
        x0, y0, _x1, _y1 = min(horizontals, key=lambda b: b[1])
        return (x0 / s, y0 / s, w_pt, h_pt)
    return fallback
