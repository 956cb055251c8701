"""Overlay classification: jitter inside the tolerance is unchanged, real edits are not."""

import cv2
import numpy as np

from buildtrace.engine.align import align_rasters
from buildtrace.engine.drawing_set import open_set
from buildtrace.engine.geometry import points_to_pixels
from buildtrace.engine.overlay import (ADDED_RGB, REMOVED_RGB, compare_ink,
                                       explained_by_shift, render_overlay, warp_old_to_new)
from conftest import TRANSATOMIC

DPI = 150


def _sheet():
    with open_set(TRANSATOMIC / "M101.pdf") as s:
        return s.page(0).render(dpi=DPI)


def test_a_half_point_shift_is_not_a_change():
    old = _sheet()
    shift_px = 0.5 / 72 * DPI
    new = cv2.warpAffine(old, np.float32([[1, 0, shift_px], [0, 1, 0]]),
                         old.shape[::-1], borderValue=255)
    masks = compare_ink(old, new, DPI)
    ink = masks.unchanged.sum()
    assert masks.removed.sum() < 0.002 * ink and masks.added.sum() < 0.002 * ink


def test_erasure_and_addition_are_found_where_they_are():
    old = _sheet()
    new = old.copy()
    # erase a 1x1 in block of the drawing with ink in it, add a 2 in line elsewhere (points)
    ys, xs = np.nonzero(old[300:1500, 300:2500] < 100)
    y0, x0 = ys[len(ys) // 2] + 300 - DPI // 2, xs[len(xs) // 2] + 300 - DPI // 2
    new[y0:y0 + DPI, x0:x0 + DPI] = 255
    cv2.line(new, (200, 200), (200 + 2 * DPI, 200), 0, 3)
    masks = compare_ink(old, new, DPI)
    ry, rx = np.nonzero(masks.removed)
    assert ry.size > 50
    assert ry.min() >= y0 and ry.max() < y0 + DPI and rx.min() >= x0 and rx.max() < x0 + DPI
    ay, ax = np.nonzero(masks.added)
    assert ay.size > 2 * DPI and abs(ay.mean() - 200) < 3 and ax.min() >= 195
    rgb = render_overlay(masks)
    assert tuple(rgb[ry[0], rx[0]]) == REMOVED_RGB and tuple(rgb[ay[0], ax[0]]) == ADDED_RGB


def test_aligned_rescan_overlay_is_nearly_all_unchanged():
    old = _sheet()
    m_true = cv2.getRotationMatrix2D((1224, 792), 0.8, 1.01)  # points
    m_px = points_to_pixels(m_true, DPI, DPI)
    new = cv2.warpAffine(old, m_px, old.shape[::-1], flags=cv2.INTER_AREA, borderValue=255)
    a = align_rasters(old, DPI, new, DPI)
    assert a.ok
    warped = warp_old_to_new(old, DPI, a.matrix, new.shape, DPI)
    masks = compare_ink(warped, new, DPI)
    ink = masks.unchanged.sum()
    assert (masks.removed.sum() + masks.added.sum()) < 0.01 * ink


def _plan(dpi: int = DPI) -> np.ndarray:
    """A vector-like sheet: thin anti-aliased lines on paper (10 x 7 in)."""
    rng = np.random.default_rng(3)
    img = np.full((7 * dpi, 10 * dpi), 255, np.uint8)
    for _ in range(400):
        x0, y0 = rng.integers(0, 10 * dpi), rng.integers(0, 7 * dpi)
        dx, dy = rng.integers(-200, 200, 2)
        cv2.line(img, (int(x0), int(y0)), (int(x0 + dx), int(y0 + dy)), 0, 1, cv2.LINE_AA)
    return img


def _same_as_compare_ink(old, new):
    from buildtrace.engine.overlay import classify_ink, overlay_index

    ink = classify_ink(old, new, DPI)
    masks = compare_ink(old, new, DPI)
    assert (ink.index == overlay_index(masks)).all()
    removed, added = np.zeros_like(masks.removed), np.zeros_like(masks.added)
    for r, c, rem, add in ink.windows:
        assert not (removed[r:r + rem.shape[0], c:c + rem.shape[1]] & rem).any()  # disjoint
        removed[r:r + rem.shape[0], c:c + rem.shape[1]] |= rem
        added[r:r + add.shape[0], c:c + add.shape[1]] |= add
    assert (removed == masks.removed).all() and (added == masks.added).all()
    return ink, masks


def test_sparse_classification_is_exactly_the_whole_raster_one():
    from buildtrace.engine.overlay import BLOCK_PX

    old = _plan()
    b = BLOCK_PX
    cv2.rectangle(old, (2 * b - 30, 3 * b - 30), (2 * b + 30, 3 * b + 30), 0, 3)
    new = old.copy()
    # a line re-plotted one pixel lower, across a block edge: unchanged (within tolerance),
    # which needs the neighbouring block's pixels
    old[2 * b - 1, 4 * b:6 * b], new[2 * b - 1, 4 * b:6 * b] = 0, old[2 * b - 2, 4 * b:6 * b]
    new[2 * b, 4 * b:6 * b] = 0
    new[3 * b - 40:3 * b + 40, 2 * b - 40:2 * b + 40] = 255  # an erasure across block corners
    cv2.line(new, (b - 1, 10), (b - 1, 5 * b), 0, 2)  # an added line along a block edge
    cv2.line(new, (new.shape[1] - 3, 0), (new.shape[1] - 3, 90), 0, 2)  # at the raster edge
    cv2.putText(new, "8'-8\"", (700, 900), cv2.FONT_HERSHEY_SIMPLEX, 1.2, 0, 2, cv2.LINE_AA)
    # rows that differ, but by less than a change can (ink 150 re-plotted fainter, 200):
    # unchanged ink, read from both sheets, not from one
    old[50, 100:400], new[50, 100:400] = 150, 200
    old[52, 100:400], new[52, 100:400] = 200, 150
    ink, masks = _same_as_compare_ink(old, new)
    assert ink.index[50, 100:400].all() and ink.index[52, 100:400].all()
    assert masks.removed.sum() > 500 and masks.added.sum() > 500
    windowed = sum(w[2].size for w in ink.windows)
    assert 0 < windowed < 0.25 * old.size  # only the blocks around the edits were compared


def test_identical_sheets_need_no_comparison_and_noise_falls_back_to_the_whole_raster():
    old = _plan()
    ink, _ = _same_as_compare_ink(old, old.copy())
    assert ink.windows == [] and (ink.index == (old < 160)).all()
    noisy = np.clip(old.astype(np.int16)
                    + np.random.default_rng(4).normal(0, 40, old.shape), 0, 255).astype(np.uint8)
    ink, _ = _same_as_compare_ink(old, noisy)
    assert len(ink.windows) == 1 and ink.windows[0][2].shape == old.shape


def _lines(dpi, moved_pt=0.0, which=None, extra=False):
    """A 60x60 pt crop of parallel lines (0.5 pt wide, 6 pt apart) at ``dpi``; ``which``
    (an index) or all of them moved right by ``moved_pt``; ``extra`` adds a short line."""
    k = dpi / 72
    img = np.full((int(60 * k), int(60 * k)), 255, np.uint8)
    for i, x in enumerate(range(6, 56, 6)):
        dx = moved_pt if which is None or which == i else 0.0
        x0 = int(round((x + dx) * k))
        img[:, x0:x0 + max(1, int(round(0.5 * k)))] = 0
    if extra:
        img[int(30 * k):int(31 * k), int(8 * k):int(20 * k)] = 0
    return img


def test_a_local_misfit_is_explained_by_a_shift_and_an_edit_is_not():
    """A region the alignment's local error made (everything 1 pt off) is explained by a
    shift; a line that moved among lines that did not, or a line added, is not."""
    dpi = 150
    old = _lines(dpi)
    misfit = _lines(dpi, moved_pt=1.0)
    assert compare_ink(old, misfit, dpi).added.any()  # beyond the 0.75 pt tolerance ...
    assert explained_by_shift(old, misfit, dpi, 0.75, min_area_pt2=3.0)  # ... but a misfit
    one_moved = _lines(dpi, moved_pt=1.0, which=4)
    assert compare_ink(old, one_moved, dpi).added.any()
    assert not explained_by_shift(old, one_moved, dpi, 0.75, min_area_pt2=3.0)
    assert not explained_by_shift(old, _lines(dpi, extra=True), dpi, 0.75, min_area_pt2=3.0)
