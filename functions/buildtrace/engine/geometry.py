"""Affine matrices between sheet frames: points and pixels.

Every matrix here is 2×3 and maps (x, y) of one sheet to (x, y) of another, both with the
origin at the top-left and y down. A matrix "in points" maps PDF points of the old sheet to
PDF points of the new one; "in pixels" maps pixels of an old raster at one DPI to pixels of a
new raster at another. These helpers convert between the two so that no module redoes it.
"""

from __future__ import annotations

import numpy as np


def homogeneous(m: np.ndarray) -> np.ndarray:
    """The 3×3 form of a 2×3 affine matrix (for composing with ``@``)."""
    return np.vstack([np.asarray(m, dtype=float), [0.0, 0.0, 1.0]])


def scaling(s: float) -> np.ndarray:
    """3×3 uniform scaling by ``s``."""
    return np.diag([s, s, 1.0])


def linear_scale(m: np.ndarray) -> float:
    """How a 2×3 (or 3×3) affine matrix scales lengths: √|det| of its linear part (pixels
    per point for a points→pixels matrix)."""
    a = np.asarray(m, float)
    return float(np.sqrt(abs(a[0, 0] * a[1, 1] - a[0, 1] * a[1, 0])))


def points_to_pixels(matrix_pt: np.ndarray, src_dpi: float, dst_dpi: float) -> np.ndarray:
    """A points→points matrix as a pixels→pixels one, for rasters at ``src_dpi`` (old) and
    ``dst_dpi`` (new); or each of a stack of them (n×2×3)."""
    # scaling(dst / 72) @ homogeneous(m) @ scaling(72 / src), first two rows
    return (dst_dpi / 72.0) * np.asarray(matrix_pt, float) @ np.diag(
        [72.0 / src_dpi, 72.0 / src_dpi, 1.0])


def pixels_to_points(matrix_px: np.ndarray, src_dpi: float, dst_dpi: float) -> np.ndarray:
    """The inverse conversion of :func:`points_to_pixels`."""
    return (scaling(72.0 / dst_dpi) @ homogeneous(matrix_px) @ scaling(src_dpi / 72.0))[:2]


def matrix_from_point_pairs(old_pts, new_pts) -> np.ndarray:
    """The 2×3 matrix mapping old-sheet points to new-sheet points from 2 or 3 point pairs
    a user picked (PDF points of each sheet, origin top-left, y down).

    Two pairs give a similarity (shift, rotation, one scale: what a re-plot or re-scan
    does); three give an affine (also a different scale per axis, or shear). Raises
    ValueError for coincident or collinear picks, which fix no transform."""
    o = np.asarray(old_pts, np.float64).reshape(-1, 2)
    n = np.asarray(new_pts, np.float64).reshape(-1, 2)
    if len(o) != len(n) or len(o) not in (2, 3):
        raise ValueError("give 2 or 3 point pairs")
    if len(o) == 2:
        do, dn = o[1] - o[0], n[1] - n[0]
        lo, ln = np.hypot(*do), np.hypot(*dn)
        if lo < 1e-6 or ln < 1e-6:
            raise ValueError("the two points of a sheet coincide")
        s = ln / lo
        ang = np.arctan2(dn[1], dn[0]) - np.arctan2(do[1], do[0])
        c, si = s * np.cos(ang), s * np.sin(ang)
        lin = np.array([[c, -si], [si, c]])
    else:
        a = np.hstack([o, np.ones((3, 1))])
        if abs(np.linalg.det(a)) < 1e-6 * max(1.0, np.abs(o).max()) ** 2:
            raise ValueError("the three points of the old sheet are on one line")
        m = np.linalg.solve(a, n).T
        return m
    t = n[0] - lin @ o[0]
    return np.hstack([lin, t[:, None]])
