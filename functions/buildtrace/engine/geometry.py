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


def points_to_pixels(matrix_pt: np.ndarray, src_dpi: float, dst_dpi: float) -> np.ndarray:
    """A points→points matrix as a pixels→pixels one, for rasters at ``src_dpi`` (old) and
    ``dst_dpi`` (new)."""
    return (scaling(dst_dpi / 72.0) @ homogeneous(matrix_pt) @ scaling(72.0 / src_dpi))[:2]


def pixels_to_points(matrix_px: np.ndarray, src_dpi: float, dst_dpi: float) -> np.ndarray:
    """The inverse conversion of :func:`points_to_pixels`."""
    return (scaling(72.0 / dst_dpi) @ homogeneous(matrix_px) @ scaling(src_dpi / 72.0))[:2]
