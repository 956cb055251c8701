"""Overlay classification: jitter inside the tolerance is unchanged, real edits are not."""

import cv2
import numpy as np

from buildtrace.engine.align import align_rasters
from buildtrace.engine.drawing_set import open_set
from buildtrace.engine.geometry import points_to_pixels
from buildtrace.engine.overlay import (ADDED_RGB, REMOVED_RGB, compare_ink, render_overlay,
                                       warp_old_to_new)
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
