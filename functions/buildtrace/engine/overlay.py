"""The overlay of an aligned sheet pair: removed ink red, added ink green, unchanged grey.

Ink is compared with a tolerance in **points** (:data:`DEFAULT_TOLERANCE_PT`), converted to
pixels at the overlay's DPI, so results do not change with resolution: old ink with new ink
within the tolerance is unchanged (anti-aliasing, rendering jitter, scan noise and the
residual of the alignment all live inside it), old ink without is removed, new ink without
is added. Rasters are in the new sheet's frame: pixel (0, 0) is the new sheet's top-left.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .geometry import points_to_pixels

#: Ink within this distance (points; 0.75 pt ≈ 0.26 mm) of ink on the other sheet is unchanged.
DEFAULT_TOLERANCE_PT = 0.75
#: Gray level below which a pixel is ink (0 black, 255 white).
INK_THRESHOLD = 160
#: Gray level below which a pixel counts as "some ink is here" when deciding whether ink on
#: the other sheet is matched: faint, anti-aliased or resampled strokes still match
#: (hysteresis, so a thin line lightened by re-rendering is not reported removed).
FAINT_INK_THRESHOLD = 225

REMOVED_RGB = (220, 30, 30)
ADDED_RGB = (20, 160, 40)
UNCHANGED_RGB = (150, 150, 150)
#: Overlay images are palette images: index 0 paper, 1 unchanged, 2 removed, 3 added.
PALETTE = np.array([(255, 255, 255), UNCHANGED_RGB, REMOVED_RGB, ADDED_RGB], np.uint8)


@dataclass
class OverlayMasks:
    """Boolean masks in new-sheet pixels at ``dpi``."""

    removed: np.ndarray
    added: np.ndarray
    unchanged: np.ndarray
    dpi: float


def warp_old_to_new(old: np.ndarray, old_dpi: float, matrix_pt: np.ndarray,
                    new_shape: tuple[int, int], new_dpi: float) -> np.ndarray:
    """Resample the old raster into the new sheet's pixel grid. ``matrix_pt`` maps old-sheet
    points to new-sheet points (2×3, top-left origin, y down)."""
    m_px = points_to_pixels(matrix_pt, old_dpi, new_dpi)
    h, w = new_shape
    return cv2.warpAffine(old, m_px, (w, h), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_CONSTANT,
                          borderValue=255)


def _disk(radius_px: float) -> np.ndarray:
    r = max(0, int(np.ceil(radius_px)))
    yy, xx = np.mgrid[-r:r + 1, -r:r + 1]
    return ((xx * xx + yy * yy) <= radius_px * radius_px + 1e-9).astype(np.uint8)


def compare_ink(old_aligned: np.ndarray, new: np.ndarray, dpi: float,
                tolerance_pt: float = DEFAULT_TOLERANCE_PT) -> OverlayMasks:
    """Classify ink of two rasters in the same frame (the new sheet's, at ``dpi``)."""
    if old_aligned.shape != new.shape:
        raise ValueError(f"rasters differ in shape: {old_aligned.shape} vs {new.shape}")
    # OpenCV's thresholds and bitwise operations (0/1 uint8 masks) are several times faster
    # than NumPy's boolean ones on the 10-15 Mpx strips this runs on.
    def below(img, level):
        return cv2.threshold(img, level - 1, 1, cv2.THRESH_BINARY_INV)[1]

    old_b, new_b = below(old_aligned, INK_THRESHOLD), below(new, INK_THRESHOLD)
    kernel = _disk(tolerance_pt / 72.0 * dpi)
    near_new = cv2.dilate(below(new, FAINT_INK_THRESHOLD), kernel)
    near_old = cv2.dilate(below(old_aligned, FAINT_INK_THRESHOLD), kernel)
    removed = cv2.subtract(old_b, near_new)  # 1 only where old ink has no new ink near
    added = cv2.subtract(new_b, near_old)
    unchanged = cv2.subtract(cv2.subtract(cv2.bitwise_or(old_b, new_b), removed), added)
    return OverlayMasks(removed.view(bool), added.view(bool), unchanged.view(bool), dpi)


def overlay_index(masks: OverlayMasks) -> np.ndarray:
    """The overlay as palette indices (H×W uint8, see :data:`PALETTE`); the three masks are
    disjoint, so the sum is exact."""
    u, r, a = (m.view(np.uint8) for m in (masks.unchanged, masks.removed, masks.added))
    return cv2.add(cv2.add(u, cv2.add(r, r)), cv2.add(a, cv2.add(a, a)))


def render_overlay(masks: OverlayMasks) -> np.ndarray:
    """An RGB image (H×W×3, uint8) on white: removed red, added green, unchanged grey."""
    from .image_writers import palette_to_rgb

    return palette_to_rgb(overlay_index(masks), PALETTE)
