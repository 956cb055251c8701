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


def ink_below(img: np.ndarray, level: int) -> np.ndarray:
    """A 0/1 uint8 mask of the pixels of ``img`` darker than ``level``. OpenCV's thresholds
    and bitwise operations on such masks are several times faster than NumPy's boolean
    ones on the 10-15 Mpx strips the overlay runs on."""
    return cv2.threshold(img, level - 1, 1, cv2.THRESH_BINARY_INV)[1]


def compare_ink(old_aligned: np.ndarray, new: np.ndarray, dpi: float,
                tolerance_pt: float = DEFAULT_TOLERANCE_PT) -> OverlayMasks:
    """Classify ink of two rasters in the same frame (the new sheet's, at ``dpi``)."""
    if old_aligned.shape != new.shape:
        raise ValueError(f"rasters differ in shape: {old_aligned.shape} vs {new.shape}")
    old_b, new_b = ink_below(old_aligned, INK_THRESHOLD), ink_below(new, INK_THRESHOLD)
    kernel = _disk(tolerance_pt / 72.0 * dpi)
    near_new = cv2.dilate(ink_below(new, FAINT_INK_THRESHOLD), kernel)
    near_old = cv2.dilate(ink_below(old_aligned, FAINT_INK_THRESHOLD), kernel)
    removed = cv2.subtract(old_b, near_new)  # 1 only where old ink has no new ink near
    added = cv2.subtract(new_b, near_old)
    unchanged = cv2.subtract(cv2.subtract(cv2.bitwise_or(old_b, new_b), removed), added)
    return OverlayMasks(removed.view(bool), added.view(bool), unchanged.view(bool), dpi)


#: Largest local misfit of the alignment (points, each way) a change may owe its ink to: a
#: re-scan's paper stretch (up to 0.3 pt) on top of the affine fit's error, largest near
#: the sheet's edges, where the fit extrapolates (up to 0.6 pt measured).
MISFIT_SHIFT_PT = 1.0
#: Step of the local re-alignment (points).
MISFIT_STEP_PT = 0.25
#: Resolution the local re-alignment is fitted at, at most (DPI).
MISFIT_FIT_DPI = 150.0


def explained_by_shift(old_aligned: np.ndarray, new: np.ndarray, dpi: float,
                       tolerance_pt: float, min_area_pt2: float,
                       max_shift_pt: float = MISFIT_SHIFT_PT) -> bool:
    """Whether the changed ink of a crop pair is the alignment's local misfit, not an edit:
    the crops are re-aligned locally (the shift of the old crop, within ``max_shift_pt``
    each way, that best fits the whole crop's blurred ink) and, so aligned, hold less than
    ``min_area_pt2`` of changed ink (:func:`compare_ink` at ``tolerance_pt``) away from the
    crop's edges, where the shift leaves no data. The best fit is the whole crop's, so a
    line that moved among lines that did not stays a change. Rasters: one frame (the new
    sheet's) at ``dpi``, uint8 grayscale."""
    k = dpi / 72.0
    m = int(np.ceil((max_shift_pt + tolerance_pt) * k)) + 1
    h, w = new.shape
    if h <= 2 * m or w <= 2 * m:
        return False
    inner = (slice(m, h - m), slice(m, w - m))
    # the fit is found at most at MISFIT_FIT_DPI (blurred by half a point, it needs no more)
    r = min(1.0, MISFIT_FIT_DPI / dpi)
    ks = k * r
    size = (max(1, round(w * r)), max(1, round(h * r)))

    def reduced(img):
        return img if r == 1.0 else cv2.resize(img, size, interpolation=cv2.INTER_AREA)

    ms = int(np.ceil((max_shift_pt + tolerance_pt) * ks)) + 1
    old_s = reduced(old_aligned)

    def blurred(img):
        return cv2.GaussianBlur(img, (0, 0), 0.5 * ks).astype(np.float32)[ms:-ms, ms:-ms]

    target = blurred(reduced(new))
    tried: dict = {}

    def shifted(img, ix, iy, px_per_pt, size):  # img shifted by (ix, iy) steps
        t = np.float32([[1, 0, ix * MISFIT_STEP_PT * px_per_pt],
                        [0, 1, iy * MISFIT_STEP_PT * px_per_pt]])
        return cv2.warpAffine(img, t, size, flags=cv2.INTER_LINEAR,
                              borderMode=cv2.BORDER_REPLICATE)

    def fit(ix, iy):  # the misfit of a shift of (ix, iy) steps
        if (ix, iy) not in tried:
            tried[ix, iy] = float(cv2.norm(blurred(shifted(old_s, ix, iy, ks, size)), target,
                                           cv2.NORM_L2SQR))
        return tried[ix, iy]

    # every other step first, then the steps around the best of those
    steps = int(round(max_shift_pt / MISFIT_STEP_PT))
    coarse = [(ix, iy) for iy in range(-steps, steps + 1, 2) for ix in range(-steps, steps + 1, 2)]
    cx, cy = min(coarse, key=lambda t: fit(*t))
    fine = [(ix, iy) for iy in range(max(-steps, cy - 1), min(steps, cy + 1) + 1)
            for ix in range(max(-steps, cx - 1), min(steps, cx + 1) + 1)]
    ix, iy = min(fine, key=lambda t: fit(*t))
    if ix == 0 and iy == 0:
        return False  # the crop fits best where it is: what changed there changed
    masks = compare_ink(shifted(old_aligned, ix, iy, k, (w, h)), new, dpi, tolerance_pt)
    changed = np.count_nonzero(masks.removed[inner]) + np.count_nonzero(masks.added[inner])
    return changed / (k * k) < min_area_pt2


def overlay_index(masks: OverlayMasks) -> np.ndarray:
    """The overlay as palette indices (H×W uint8, see :data:`PALETTE`); the three masks are
    disjoint, so the sum is exact."""
    u, r, a = (m.view(np.uint8) for m in (masks.unchanged, masks.removed, masks.added))
    return cv2.add(cv2.add(u, cv2.add(r, r)), cv2.add(a, cv2.add(a, a)))


#: Rasters whose changed-ink candidates exceed this fraction of pixels (a scan, a resampled
#: sheet) are classified whole; below it only the blocks around candidates are.
DENSE_FRACTION = 0.02
#: Side (px) of the blocks that :func:`classify_ink` examines around candidates.
BLOCK_PX = 128
#: Rows :func:`classify_ink` passes over at a time (two rasters' rows and a buffer stay in
#: a core's cache on a 48 in wide sheet at 300 DPI).
PASS_ROWS = 64


@dataclass
class InkChanges:
    """The overlay of a raster pair as palette indices (H×W uint8, see :data:`PALETTE`; wider
    when asked, the extra columns paper), and where ink changed: ``windows`` of (row, col,
    removed, added), boolean masks whose pixel (0, 0) is raster pixel (row, col). Removed
    and added ink lies only inside the windows."""

    index: np.ndarray
    windows: list


def classify_ink(old_aligned: np.ndarray, new: np.ndarray, dpi: float,
                 tolerance_pt: float = DEFAULT_TOLERANCE_PT, *, width: int | None = None
                 ) -> InkChanges:
    """Exactly ``overlay_index(compare_ink(...))``, with work in proportion to what changed.

    A pixel can be removed only if it is ink on the old sheet (< INK_THRESHOLD) and paper on
    the new one (>= FAINT_INK_THRESHOLD), and added only the other way round, so only pixels
    whose gray levels differ by more than ``FAINT_INK_THRESHOLD - INK_THRESHOLD`` are
    candidates. Most of a sheet is paper or ink that did not move (a CAD re-plot is often
    identical outside its edits): there the overlay is just "ink on either sheet", and
    :func:`compare_ink` runs only on blocks holding candidates, with a margin of the
    tolerance so its dilation sees the same neighbourhood as on the whole raster.

    ``width`` (at least the rasters' width) widens ``index`` with paper columns: rows whose
    width is a multiple of 8 are packed 2 bits a pixel, and halved, without copies."""
    if old_aligned.shape != new.shape:
        raise ValueError(f"rasters differ in shape: {old_aligned.shape} vs {new.shape}")
    h, w = new.shape
    padded = np.empty((h, max(w, width or w)), np.uint8)
    padded[:, w:] = 0
    index = padded[:, :w]
    gap = FAINT_INK_THRESHOLD - INK_THRESHOLD
    b = BLOCK_PX
    n_cols = -(-w // b)
    dense_limit = DENSE_FRACTION * h * w
    # One pass, :data:`PASS_ROWS` rows at a time so that each step reads what the last one
    # left in the cache: the candidates (and the columns they are in), and "ink on either
    # sheet" into the index. A sheet that turns out dense is classified whole instead.
    buf = np.empty((min(PASS_ROWS, h), w), np.uint8)
    hits, n = [], 0
    for r0 in range(0, h, b):
        cols = None
        for p0 in range(r0, min(h, r0 + b), PASS_ROWS):
            p1 = min(h, p0 + PASS_ROWS, r0 + b)
            o, nw, t = old_aligned[p0:p1], new[p0:p1], buf[:p1 - p0]
            # most rows of a re-plot are identical: one read of both (the largest
            # difference, nothing written) rules them out
            most = cv2.norm(o, nw, cv2.NORM_INF)
            if most > gap:
                cv2.absdiff(o, nw, dst=t)
                cv2.threshold(t, gap, 1, cv2.THRESH_BINARY, dst=t)
                n += cv2.countNonZero(t)
                c = cv2.reduce(t, 0, cv2.REDUCE_MAX)
                cols = c if cols is None else cv2.max(cols, c)
            if most:
                cv2.min(o, nw, dst=t)
            else:
                t = nw  # identical rows: the ink of either is the ink of both
            cv2.threshold(t, INK_THRESHOLD - 1, 1, cv2.THRESH_BINARY_INV, dst=index[p0:p1])
        if n > dense_limit:
            masks = compare_ink(old_aligned, new, dpi, tolerance_pt)
            index[:] = overlay_index(masks)
            return InkChanges(padded, [(0, 0, masks.removed, masks.added)])
        if cols is not None:
            pad = np.zeros(n_cols * b, np.uint8)
            pad[:w] = cols.ravel()
            hits.append((r0, pad.reshape(n_cols, b).max(axis=1) > 0))
    windows = []
    margin = int(np.ceil(tolerance_pt / 72.0 * dpi)) + 1
    for r0, hit in hits:
        # runs of neighbouring blocks become one window
        edges = np.flatnonzero(np.diff(np.concatenate([[0], hit.view(np.int8), [0]])))
        for c_start, c_end in zip(edges[::2], edges[1::2]):
            x0, x1 = c_start * b, min(w, c_end * b)
            r1 = min(h, r0 + b)
            wy0, wy1 = max(0, r0 - margin), min(h, r1 + margin)
            wx0, wx1 = max(0, x0 - margin), min(w, x1 + margin)
            masks = compare_ink(old_aligned[wy0:wy1, wx0:wx1], new[wy0:wy1, wx0:wx1], dpi,
                                tolerance_pt)
            core = (slice(r0 - wy0, r1 - wy0), slice(x0 - wx0, x1 - wx0))
            index[r0:r1, x0:x1] = overlay_index(masks)[core]
            windows.append((r0, x0, masks.removed[core], masks.added[core]))
    return InkChanges(padded, windows)


def render_overlay(masks: OverlayMasks) -> np.ndarray:
    """An RGB image (H×W×3, uint8) on white: removed red, added green, unchanged grey."""
    from .image_writers import palette_to_rgb

    return palette_to_rgb(overlay_index(masks), PALETTE)
